package main

// KEDA's ScaledObject (keda.sh/v1alpha1), declared by hand for the fields a chart sets, with the
// field names and types of KEDA v2's apis/keda/v1alpha1/scaledobject_types.go. Registered in the
// same scheme as the built-in kinds, so it is decoded by the same strict decoder: a misspelt or
// unlisted field is an error here even where KEDA's CRD schema would accept it.

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

type ScaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ScaledObjectSpec `json:"spec"`
}

type ScaledObjectSpec struct {
	ScaleTargetRef        *ScaleTarget    `json:"scaleTargetRef"`
	PollingInterval       *int32          `json:"pollingInterval,omitempty"`
	InitialCooldownPeriod *int32          `json:"initialCooldownPeriod,omitempty"`
	CooldownPeriod        *int32          `json:"cooldownPeriod,omitempty"`
	IdleReplicaCount      *int32          `json:"idleReplicaCount,omitempty"`
	MinReplicaCount       *int32          `json:"minReplicaCount,omitempty"`
	MaxReplicaCount       *int32          `json:"maxReplicaCount,omitempty"`
	Advanced              *AdvancedConfig `json:"advanced,omitempty"`
	Triggers              []ScaleTrigger  `json:"triggers"`
	Fallback              *Fallback       `json:"fallback,omitempty"`
}

type ScaleTarget struct {
	Name                   string `json:"name"`
	APIVersion             string `json:"apiVersion,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	EnvSourceContainerName string `json:"envSourceContainerName,omitempty"`
}

type AdvancedConfig struct {
	HorizontalPodAutoscalerConfig *struct {
		Name     string                                         `json:"name,omitempty"`
		Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
	} `json:"horizontalPodAutoscalerConfig,omitempty"`
	RestoreToOriginalReplicaCount bool `json:"restoreToOriginalReplicaCount,omitempty"`
}

type Fallback struct {
	FailureThreshold int32  `json:"failureThreshold"`
	Replicas         int32  `json:"replicas"`
	Behavior         string `json:"behavior,omitempty"`
}

type ScaleTrigger struct {
	Type              string                         `json:"type"`
	Name              string                         `json:"name,omitempty"`
	UseCachedMetrics  bool                           `json:"useCachedMetrics,omitempty"`
	Metadata          map[string]string              `json:"metadata"` // KEDA wants every value a string
	AuthenticationRef *AuthenticationRef             `json:"authenticationRef,omitempty"`
	MetricType        autoscalingv2.MetricTargetType `json:"metricType,omitempty"`
}

type AuthenticationRef struct {
	Name string `json:"name"`
	Kind string `json:"kind,omitempty"`
}

// DeepCopyObject makes ScaledObject a runtime.Object (a JSON round trip: this is a checker).
func (s *ScaledObject) DeepCopyObject() runtime.Object {
	out := &ScaledObject{}
	b, _ := json.Marshal(s)
	_ = json.Unmarshal(b, out)
	return out
}

func init() {
	utilruntime.Must(func(s *runtime.Scheme) error {
		s.AddKnownTypes(schema.GroupVersion{Group: "keda.sh", Version: "v1alpha1"}, &ScaledObject{})
		return nil
	}(scheme))
}

// The kafka scaler's metadata keys (KEDA docs, "Apache Kafka" scaler); the map is not typed, so
// a misspelt key would otherwise be ignored by KEDA and silently fall back to a default.
var kafkaKeys = map[string]bool{
	"bootstrapServers": true, "bootstrapServersFromEnv": true, "consumerGroup": true, "consumerGroupFromEnv": true,
	"topic": true, "topicFromEnv": true, "lagThreshold": true, "activationLagThreshold": true,
	"offsetResetPolicy": true, "allowIdleConsumers": true, "scaleToZeroOnInvalidOffset": true,
	"excludePersistentLag": true, "limitToPartitionsWithLag": true, "ensureEvenDistributionOfPartitions": true,
	"version": true, "partitionLimitation": true, "sasl": true, "tls": true, "unsafeSsl": true,
}

// checkScaledObject: what KEDA's admission webhook or scaler would refuse.
func checkScaledObject(so *ScaledObject) []string {
	var bad []string
	s := so.Spec
	if s.ScaleTargetRef == nil || s.ScaleTargetRef.Name == "" {
		bad = append(bad, "spec.scaleTargetRef.name is required")
	}
	if s.MinReplicaCount != nil && s.MaxReplicaCount != nil && *s.MinReplicaCount > *s.MaxReplicaCount {
		bad = append(bad, fmt.Sprintf("minReplicaCount %d > maxReplicaCount %d", *s.MinReplicaCount, *s.MaxReplicaCount))
	}
	if len(s.Triggers) == 0 {
		bad = append(bad, "spec.triggers is empty")
	}
	for i, t := range s.Triggers {
		if t.Type != "kafka" {
			continue
		}
		var unknown []string
		for k := range t.Metadata {
			if !kafkaKeys[k] {
				unknown = append(unknown, k)
			}
		}
		sort.Strings(unknown)
		for _, k := range unknown {
			bad = append(bad, fmt.Sprintf("triggers[%d].metadata.%s: not a kafka scaler parameter", i, k))
		}
		for _, k := range []string{"bootstrapServers", "consumerGroup", "topic"} {
			if t.Metadata[k] == "" && t.Metadata[k+"FromEnv"] == "" {
				bad = append(bad, fmt.Sprintf("triggers[%d].metadata.%s is required", i, k))
			}
		}
		for _, k := range []string{"lagThreshold", "activationLagThreshold"} {
			if v, ok := t.Metadata[k]; ok {
				if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 || (k == "lagThreshold" && n == 0) {
					bad = append(bad, fmt.Sprintf("triggers[%d].metadata.%s %q: not a valid count", i, k, v))
				}
			}
		}
	}
	return bad
}
