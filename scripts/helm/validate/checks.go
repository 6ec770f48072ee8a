package main

// Checks across the objects of one render: what decodes into the types but the API server would
// reject (names, labels, requests over limits), or what it accepts and then silently does nothing
// with (a selector that matches no pod, a probe on a port no container names, a ConfigMap key that
// envFrom skips because it is no variable name).

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
)

type render struct {
	deployments map[string]*appsv1.Deployment
	configMaps  map[string]*corev1.ConfigMap
	services    map[string]*corev1.Service
	secrets     map[string]*corev1.Secret
}

// crossCheck marks the objects it finds fault with as bad.
func crossCheck(objs []object) []error {
	r := render{map[string]*appsv1.Deployment{}, map[string]*corev1.ConfigMap{}, map[string]*corev1.Service{}, map[string]*corev1.Secret{}}
	for _, o := range objs {
		switch v := o.obj.(type) {
		case *appsv1.Deployment:
			r.deployments[v.Name] = v
		case *corev1.ConfigMap:
			r.configMaps[v.Name] = v
		case *corev1.Service:
			r.services[v.Name] = v
		case *corev1.Secret:
			r.secrets[v.Name] = v
		}
	}
	var errs []error
	for i, o := range objs {
		for _, msg := range r.check(o.obj) {
			objs[i].bad = true
			errs = append(errs, fmt.Errorf("%s (%s %s): %s", o.where, o.gvk, o.name, msg))
		}
	}
	return errs
}

func (r render) check(obj any) []string {
	var bad []string
	add := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	switch v := obj.(type) {
	case *appsv1.Deployment:
		bad = append(bad, checkMeta(v.ObjectMeta, validation.IsDNS1123Subdomain)...)
		sel, err := metav1.LabelSelectorAsSelector(v.Spec.Selector)
		if v.Spec.Selector == nil || err != nil || sel.Empty() {
			add("spec.selector is missing or invalid: %v", err)
		} else if !sel.Matches(labels.Set(v.Spec.Template.Labels)) {
			add("spec.selector %s does not match the pod template's labels %v", sel, v.Spec.Template.Labels)
		}
		bad = append(bad, checkMeta(v.Spec.Template.ObjectMeta, nil)...)
		bad = append(bad, r.checkPod(&v.Spec.Template.Spec)...)
	case *corev1.Service:
		bad = append(bad, checkMeta(v.ObjectMeta, validation.IsDNS1035Label)...)
		pods := r.podsMatching(v.Spec.Selector)
		if len(v.Spec.Selector) > 0 && len(pods) == 0 {
			add("selector %v matches no Deployment's pods", v.Spec.Selector)
		}
		for _, p := range v.Spec.Ports {
			if p.TargetPort.StrVal == "" {
				continue
			}
			for name, pod := range pods {
				if !hasPortName(pod, p.TargetPort.StrVal) {
					add("targetPort %q is no container port of Deployment %s", p.TargetPort.StrVal, name)
				}
			}
		}
	case *policyv1.PodDisruptionBudget:
		bad = append(bad, checkMeta(v.ObjectMeta, validation.IsDNS1123Subdomain)...)
		if v.Spec.Selector == nil || len(r.podsMatching(v.Spec.Selector.MatchLabels)) == 0 {
			add("selector matches no Deployment's pods")
		}
		if v.Spec.MinAvailable != nil && v.Spec.MaxUnavailable != nil {
			add("minAvailable and maxUnavailable are exclusive")
		}
	case *networkingv1.Ingress:
		bad = append(bad, checkMeta(v.ObjectMeta, validation.IsDNS1123Subdomain)...)
		for _, rule := range v.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			for _, p := range rule.HTTP.Paths {
				if p.PathType == nil {
					add("path %q: pathType is required", p.Path)
				}
				if b := p.Backend.Service; b != nil && !r.servicePort(b.Name, b.Port) {
					add("backend %s:%v is no port of a rendered Service", b.Name, b.Port)
				}
			}
		}
	case *corev1.ConfigMap:
		bad = append(bad, checkMeta(v.ObjectMeta, validation.IsDNS1123Subdomain)...)
		for k := range v.Data {
			for _, e := range validation.IsConfigMapKey(k) {
				add("data key %q: %s", k, e)
			}
		}
	case *corev1.Secret:
		bad = append(bad, checkMeta(v.ObjectMeta, validation.IsDNS1123Subdomain)...)
		for _, k := range append(keysOf(v.Data), keysOf(v.StringData)...) {
			for _, e := range validation.IsConfigMapKey(k) {
				add("data key %q: %s", k, e)
			}
		}
	case *corev1.ServiceAccount:
		bad = append(bad, checkMeta(v.ObjectMeta, validation.IsDNS1123Subdomain)...)
	case *ScaledObject:
		bad = append(bad, checkMeta(v.ObjectMeta, validation.IsDNS1123Subdomain)...)
		bad = append(bad, checkScaledObject(v)...)
		if t := v.Spec.ScaleTargetRef; t != nil && (t.Kind == "" || t.Kind == "Deployment") {
			if d, ok := r.deployments[t.Name]; !ok {
				add("scaleTargetRef %s is no rendered Deployment", t.Name)
			} else if d.Spec.Replicas != nil {
				add("Deployment %s sets spec.replicas: every upgrade would reset what the autoscaler chose", t.Name)
			}
		}
	}
	return bad
}

// checkMeta: the name (when nameCheck is given) and the label and annotation keys the API accepts.
func checkMeta(m metav1.ObjectMeta, nameCheck func(string) []string) []string {
	var bad []string
	if nameCheck != nil {
		for _, e := range nameCheck(m.Name) {
			bad = append(bad, fmt.Sprintf("metadata.name %q: %s", m.Name, e))
		}
	}
	for k, v := range m.Labels {
		for _, e := range append(validation.IsQualifiedName(k), validation.IsValidLabelValue(v)...) {
			bad = append(bad, fmt.Sprintf("label %s=%q: %s", k, v, e))
		}
	}
	for k := range m.Annotations {
		for _, e := range validation.IsQualifiedName(strings.ToLower(k)) {
			bad = append(bad, fmt.Sprintf("annotation %s: %s", k, e))
		}
	}
	return bad
}

func (r render) checkPod(pod *corev1.PodSpec) []string {
	var bad []string
	add := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	volumes := map[string]bool{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = true
		if cm := v.ConfigMap; cm != nil && (cm.Optional == nil || !*cm.Optional) && r.configMaps[cm.Name] == nil {
			add("volume %s: ConfigMap %s is not rendered", v.Name, cm.Name)
		}
	}
	for _, c := range append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...) {
		for _, e := range validation.IsDNS1123Label(c.Name) {
			add("container name %q: %s", c.Name, e)
		}
		names := map[string]bool{}
		for _, p := range c.Ports {
			if p.Name == "" {
				continue
			}
			for _, e := range validation.IsValidPortName(p.Name) {
				add("container %s: port name %q: %s", c.Name, p.Name, e)
			}
			if names[p.Name] {
				add("container %s: port name %q twice", c.Name, p.Name)
			}
			names[p.Name] = true
		}
		for what, probe := range map[string]*corev1.Probe{"livenessProbe": c.LivenessProbe, "readinessProbe": c.ReadinessProbe, "startupProbe": c.StartupProbe} {
			if probe != nil && probe.HTTPGet != nil && probe.HTTPGet.Port.StrVal != "" && !names[probe.HTTPGet.Port.StrVal] {
				add("container %s: %s port %q is no port of the container", c.Name, what, probe.HTTPGet.Port.StrVal)
			}
		}
		for _, e := range c.Env {
			for _, msg := range validation.IsEnvVarName(e.Name) {
				add("container %s: env %q: %s", c.Name, e.Name, msg)
			}
		}
		for _, ef := range c.EnvFrom {
			// A Secret may live outside the chart (existingSecret); a ConfigMap of ours may not.
			var keys []string
			if ref := ef.ConfigMapRef; ref != nil {
				if cm := r.configMaps[ref.Name]; cm != nil {
					keys = keysOf(cm.Data)
				} else if ref.Optional == nil || !*ref.Optional {
					add("container %s: envFrom ConfigMap %s is not rendered", c.Name, ref.Name)
				}
			}
			if ref := ef.SecretRef; ref != nil && r.secrets[ref.Name] != nil {
				keys = keysOf(r.secrets[ref.Name].Data)
			}
			for _, k := range keys {
				if len(validation.IsEnvVarName(k)) > 0 {
					add("container %s: envFrom key %q is no variable name (it would be skipped)", c.Name, k)
				}
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				add("container %s: volumeMount %s names no volume", c.Name, m.Name)
			}
		}
		for res, limit := range c.Resources.Limits {
			if req, ok := c.Resources.Requests[res]; ok && req.Cmp(limit) > 0 {
				add("container %s: %s request %s is over its limit %s", c.Name, res, req.String(), limit.String())
			} else if ok && strings.Contains(string(res), "/") && req.Cmp(limit) != 0 {
				add("container %s: extended resource %s: request and limit must be equal", c.Name, res)
			}
		}
	}
	return bad
}

// podsMatching: the Deployments whose pod template labels the selector selects.
func (r render) podsMatching(selector map[string]string) map[string]*corev1.PodSpec {
	out := map[string]*corev1.PodSpec{}
	if len(selector) == 0 {
		return out
	}
	for name, d := range r.deployments {
		if labels.SelectorFromSet(selector).Matches(labels.Set(d.Spec.Template.Labels)) {
			out[name] = &d.Spec.Template.Spec
		}
	}
	return out
}

func hasPortName(pod *corev1.PodSpec, name string) bool {
	for _, c := range pod.Containers {
		for _, p := range c.Ports {
			if p.Name == name {
				return true
			}
		}
	}
	return false
}

func (r render) servicePort(name string, port networkingv1.ServiceBackendPort) bool {
	svc := r.services[name]
	if svc == nil {
		return false
	}
	for _, p := range svc.Spec.Ports {
		if (port.Name != "" && p.Name == port.Name) || (port.Name == "" && p.Port == port.Number) {
			return true
		}
	}
	return false
}

func keysOf[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
