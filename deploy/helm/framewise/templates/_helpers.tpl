{{/* The stages this chart runs: `framewise <stage>` each (src/modes/cluster.ts, CLUSTER_STAGES).
The webhook notifier has no Deployment of its own: it runs inside the publisher process. */}}
{{- define "framewise.stages" -}}
api relay runner inference publisher
{{- end }}

{{- define "framewise.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name, cut to 52 characters so that "<fullname>-inference" stays a valid
63-character Service name. */}}
{{- define "framewise.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* A stage's objects' name; call with (dict "root" $ "stage" "api"). */}}
{{- define "framewise.stageName" -}}
{{- printf "%s-%s" (include "framewise.fullname" .root) .stage }}
{{- end }}

{{- define "framewise.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "framewise.labels" -}}
helm.sh/chart: {{ include "framewise.chart" . }}
app.kubernetes.io/name: {{ include "framewise.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: framewise
{{- end }}

{{/* Selector labels of one stage's pods; call with (dict "root" $ "stage" "api"). */}}
{{- define "framewise.selectorLabels" -}}
app.kubernetes.io/name: {{ include "framewise.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .stage }}
{{- end }}

{{- define "framewise.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "framewise.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the pods read their keys from: the one named by existingSecret, else the chart's. */}}
{{- define "framewise.secretName" -}}
{{- default (include "framewise.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* A stage's image: its own `image` where set (e.g. a CUDA build for inference), else the global one. */}}
{{- define "framewise.image" -}}
{{- $img := mergeOverwrite (deepCopy .root.Values.image) (.stage.image | default dict) }}
{{- printf "%s:%s" $img.repository (default .root.Chart.AppVersion $img.tag) }}
{{- end }}

{{/* A value as an environment variable's text. Helm reads numbers of values files as float64,
which would print 4294967296 as 4.294967296e+09: whole numbers are printed as integers. */}}
{{- define "framewise.envValue" -}}
{{- if and (kindIs "float64" .) (eq . (float64 (int64 .))) }}{{ int64 . }}{{ else }}{{ toString . }}{{ end }}
{{- end }}
