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

{{/*
Base name of the release's objects: the release name, with the chart name prepended unless the
release name already contains it. Cut to 52 characters so that suffixes such as
"-kubelet-plugin" still fit the 63 characters of a label value.
*/}}
{{- define "gpudra.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Selector labels of one component; call with (dict "ctx" $ "component" "kubelet-plugin"). */}}
{{- define "gpudra.selectorLabels" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The one image of plugin and controller; the tag defaults to the chart's appVersion. */}}
{{- define "gpudra.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* Names of the ServiceAccounts (the ValidatingAdmissionPolicy matches the plugin's by name). */}}
{{- define "gpudra.kubeletPlugin.serviceAccountName" -}}
{{- printf "%s-kubelet-plugin" (include "gpudra.fullname" .) -}}
{{- end -}}

{{- define "gpudra.controller.serviceAccountName" -}}
{{- printf "%s-controller" (include "gpudra.fullname" .) -}}
{{- end -}}
