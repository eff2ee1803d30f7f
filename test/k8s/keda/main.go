// keda-lag: runs KEDA's own Kafka scaler (kedacore/keda/v2 pkg/scalers) with the trigger metadata of
// every ScaledObject in rendered manifests against a real broker, and prints what KEDA would see.
//
//	keda-lag -manifests rendered.yaml -bootstrap 127.0.0.1:9092
//
// Prints one JSON line per Kafka trigger: the ScaledObject, its group and topic, the lag KEDA's scaler
// reports (the external metric value), whether the trigger is active, the lagThreshold, and the
// replica count the HPA that KEDA creates would want: ceil(lag / lagThreshold) clamped to the
// ScaledObject's [minReplicaCount, maxReplicaCount]. Each scaler is created, queried once and closed.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	kedav1alpha1 "github.com/kedacore/keda/v2/apis/keda/v1alpha1"
	"github.com/kedacore/keda/v2/pkg/scalers"
	"github.com/kedacore/keda/v2/pkg/scalers/scalersconfig"
	"k8s.io/apimachinery/pkg/util/yaml"
	v2 "k8s.io/api/autoscaling/v2"
)

type result struct {
	ScaledObject    string `json:"scaledObject"`
	Target          string `json:"target"`
	TriggerIndex    int    `json:"triggerIndex"`
	Group           string `json:"consumerGroup"`
	Topic           string `json:"topic"`
	Lag             int64  `json:"lag"`
	Active          bool   `json:"active"`
	LagThreshold    int64  `json:"lagThreshold"`
	MinReplicas     int32  `json:"minReplicaCount"`
	MaxReplicas     int32  `json:"maxReplicaCount"`
	DesiredReplicas int32  `json:"desiredReplicas"`
}

func main() {
	manifests := flag.String("manifests", "", "rendered multi-document YAML (kustomize build output)")
	bootstrap := flag.String("bootstrap", "", "broker address replacing each trigger's bootstrapServers")
	flag.Parse()
	if *manifests == "" || *bootstrap == "" {
		fmt.Fprintln(os.Stderr, "usage: keda-lag -manifests FILE -bootstrap HOST:PORT")
		os.Exit(2)
	}
	objects, err := readScaledObjects(*manifests)
	if err != nil {
		fmt.Fprintln(os.Stderr, "keda-lag:", err)
		os.Exit(1)
	}
	if len(objects) == 0 {
		fmt.Fprintln(os.Stderr, "keda-lag: no ScaledObject in", *manifests)
		os.Exit(1)
	}
	kafkaTriggers := 0
	out := json.NewEncoder(os.Stdout)
	for _, so := range objects {
		for i, trigger := range so.Spec.Triggers {
			if trigger.Type != "kafka" {
				continue
			}
			kafkaTriggers++
			r, err := measure(so, i, trigger, *bootstrap)
			if err != nil {
				fmt.Fprintf(os.Stderr, "keda-lag: %s trigger %d: %v\n", so.Name, i, err)
				os.Exit(1)
			}
			if err := out.Encode(r); err != nil {
				os.Exit(1)
			}
		}
	}
	if kafkaTriggers == 0 {
		fmt.Fprintln(os.Stderr, "keda-lag: no kafka trigger in", *manifests)
		os.Exit(1)
	}
}

// readScaledObjects decodes every document of kind ScaledObject (keda.sh/v1alpha1) from the file.
func readScaledObjects(path string) ([]kedav1alpha1.ScaledObject, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	reader := yaml.NewYAMLReader(bufio.NewReader(f))
	var objects []kedav1alpha1.ScaledObject
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objects, nil
		}
		if err != nil {
			return nil, err
		}
		var head struct {
			Kind       string `json:"kind"`
			APIVersion string `json:"apiVersion"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return nil, err
		}
		if head.Kind != "ScaledObject" || head.APIVersion != "keda.sh/v1alpha1" {
			continue
		}
		var so kedav1alpha1.ScaledObject
		if err := yaml.UnmarshalStrict(doc, &so); err != nil {
			return nil, fmt.Errorf("ScaledObject: %w", err)
		}
		objects = append(objects, so)
	}
}

func measure(so kedav1alpha1.ScaledObject, index int, trigger kedav1alpha1.ScaleTriggers, bootstrap string) (result, error) {
	metadata := make(map[string]string, len(trigger.Metadata)+1)
	for k, v := range trigger.Metadata {
		metadata[k] = v
	}
	metadata["bootstrapServers"] = bootstrap
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	config := &scalersconfig.ScalerConfig{
		ScalableObjectName:      so.Name,
		ScalableObjectNamespace: so.Namespace,
		ScalableObjectType:      "ScaledObject",
		GlobalHTTPTimeout:       30 * time.Second,
		TriggerName:             trigger.Name,
		TriggerType:             trigger.Type,
		TriggerMetadata:         metadata,
		ResolvedEnv:             map[string]string{},
		AuthParams:              map[string]string{},
		TriggerIndex:            index,
		MetricType:              trigger.MetricType,
	}
	scaler, err := scalers.NewKafkaScaler(ctx, config)
	if err != nil {
		return result{}, err
	}
	defer scaler.Close(ctx)
	specs := scaler.GetMetricSpecForScaling(ctx)
	if len(specs) != 1 || specs[0].External == nil {
		return result{}, fmt.Errorf("unexpected metric spec %+v", specs)
	}
	target := specs[0].External.Target
	if target.Type != v2.AverageValueMetricType || target.AverageValue == nil {
		return result{}, fmt.Errorf("metric target is %s, expected AverageValue", target.Type)
	}
	threshold := target.AverageValue.Value()
	metrics, active, err := scaler.GetMetricsAndActivity(ctx, specs[0].External.Metric.Name)
	if err != nil {
		return result{}, err
	}
	if len(metrics) != 1 {
		return result{}, fmt.Errorf("expected one metric, got %d", len(metrics))
	}
	lag := metrics[0].Value.Value()
	minReplicas, maxReplicas := int32(0), int32(100)
	if so.Spec.MinReplicaCount != nil {
		minReplicas = *so.Spec.MinReplicaCount
	}
	if so.Spec.MaxReplicaCount != nil {
		maxReplicas = *so.Spec.MaxReplicaCount
	}
	// The HPA's rule for an AverageValue target: desired = ceil(total / target per pod).
	desired := int32(math.Ceil(float64(lag) / float64(threshold)))
	if desired < minReplicas {
		desired = minReplicas
	}
	if desired > maxReplicas {
		desired = maxReplicas
	}
	lagThreshold, _ := strconv.ParseInt(trigger.Metadata["lagThreshold"], 10, 64)
	if lagThreshold != 0 && lagThreshold != threshold {
		return result{}, fmt.Errorf("scaler target %d differs from lagThreshold %d", threshold, lagThreshold)
	}
	return result{
		ScaledObject: so.Name, Target: so.Spec.ScaleTargetRef.Name, TriggerIndex: index,
		Group: trigger.Metadata["consumerGroup"], Topic: trigger.Metadata["topic"],
		Lag: lag, Active: active, LagThreshold: threshold,
		MinReplicas: minReplicas, MaxReplicas: maxReplicas, DesiredReplicas: desired,
	}, nil
}
