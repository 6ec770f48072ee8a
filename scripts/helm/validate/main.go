// Command validate checks `helm template` output offline against the Kubernetes API's own Go types.
//
// Each document of the multi-document YAML is decoded into the typed struct its apiVersion/kind
// names, strictly: an unknown or duplicate field, a wrong type, an invalid quantity, or an
// apiVersion/kind this program does not register is an error. KEDA's ScaledObject, whose Go module
// is not worth its dependencies here, is decoded as strictly into the struct in keda.go. Then a few
// cross-object checks catch what the API server (or the pods) would reject later: names and labels
// the API refuses, selectors that match no pods, probes and Services naming ports no container
// declares, references to ConfigMaps or Deployments the render does not contain.
//
// Usage: validate FILE...   (prints one line per object; exits 1 on any error)
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// The API groups a chart like this one may use; anything else is "not registered", an error.
// Deliberately not client-go's full scheme: a kind the chart is not meant to render should fail.
var scheme = runtime.NewScheme()

func init() {
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, networkingv1.AddToScheme, policyv1.AddToScheme,
		autoscalingv2.AddToScheme, batchv1.AddToScheme, rbacv1.AddToScheme,
	} {
		utilruntime.Must(add(scheme))
	}
}

// EnableStrict: unknown and duplicate fields are errors (the apimachinery strict serializer).
var decoder = serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()

// object is one decoded document and where it came from.
type object struct {
	where string // file#document-number
	gvk   string // apiVersion Kind
	name  string
	obj   any  // nil where it did not decode at all
	bad   bool // has an error: not printed as ok (still cross-checked: one typo, one error)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: validate FILE...")
		os.Exit(2)
	}
	failed := false
	for _, file := range os.Args[1:] {
		objs, errs := decodeFile(file)
		errs = append(errs, crossCheck(objs)...)
		valid := 0
		for _, o := range objs {
			if !o.bad {
				valid++
				fmt.Printf("  ok  %-32s %s\n", o.gvk, o.name)
			}
		}
		if len(objs) == 0 && len(errs) == 0 {
			errs = append(errs, fmt.Errorf("%s: no object at all (did helm template fail?)", file))
		}
		for _, err := range errs {
			fmt.Printf("  ERROR %v\n", err)
		}
		fmt.Printf("%s: %d objects, %d valid, %d errors\n", file, len(objs), valid, len(errs))
		failed = failed || len(errs) > 0
	}
	if failed {
		os.Exit(1)
	}
}

// decodeFile decodes every non-empty document of file; errors name file and document.
func decodeFile(file string) ([]object, []error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, []error{err}
	}
	defer f.Close()
	var objs []object
	var errs []error
	seen := map[string]string{}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for i := 1; ; i++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return objs, append(errs, fmt.Errorf("%s: reading document %d: %w", file, i, err))
		}
		if isEmpty(doc) {
			continue
		}
		where := fmt.Sprintf("%s#%d", file, i)
		o, err := decodeDoc(doc)
		o.where = where
		if err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", where, o.gvk+" "+o.name, err))
			o.bad = true
		}
		key := o.gvk + "/" + o.name
		if prev, dup := seen[key]; dup {
			errs = append(errs, fmt.Errorf("%s: %s %s is also rendered at %s", where, o.gvk, o.name, prev))
		}
		seen[key] = where
		objs = append(objs, o)
	}
	return objs, errs
}

// isEmpty: a document of only comments and blank lines (helm renders those for disabled templates).
func isEmpty(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			return false
		}
	}
	return true
}

func decodeDoc(doc []byte) (object, error) {
	// The type meta first, leniently, only to name the object in messages.
	var head struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := sigsyaml.Unmarshal(doc, &head); err != nil {
		return object{}, fmt.Errorf("not a YAML object: %w", err)
	}
	o := object{gvk: head.APIVersion + " " + head.Kind, name: head.Metadata.Name}
	if head.APIVersion == "" || head.Kind == "" {
		return o, errors.New("apiVersion and kind are required")
	}
	if head.Metadata.Name == "" {
		return o, errors.New("metadata.name is required")
	}
	obj, _, err := decoder.Decode(doc, nil, nil)
	if runtime.IsNotRegisteredError(err) {
		return o, fmt.Errorf("unknown apiVersion/kind (not one this validator registers): %w", err)
	}
	// A strict decoding error still returns the object, decoded leniently: kept for the cross checks.
	o.obj = obj
	return o, err
}
