{{/* The DRA driver name; fixed, since claims and slices refer to it. */}}
{{- define "gpudra.driverName" -}}
gpu.gpudra.dev
{{- end -}}

{{/* Labels every object of this release carries. */}}
{{- define "gpudra.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}
