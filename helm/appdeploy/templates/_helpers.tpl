{{/* Names and labels shared by every template. */}}

{{- define "appdeploy.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "appdeploy.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "appdeploy.labels" -}}
{{ include "appdeploy.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "appdeploy.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default (include "appdeploy.fullname" .) -}}
{{- end -}}

{{/* The operator's identity as the API server sees it (for the admission policy). */}}
{{- define "appdeploy.operatorUser" -}}
{{- printf "system:serviceaccount:%s:%s" .Release.Namespace (include "appdeploy.serviceAccountName" .) -}}
{{- end -}}

{{- define "appdeploy.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{- define "appdeploy.serviceName" -}}
{{- include "appdeploy.fullname" . -}}
{{- end -}}

{{- define "appdeploy.webhookSecretName" -}}
{{- printf "%s-webhook-tls" (include "appdeploy.fullname" .) -}}
{{- end -}}

{{- define "appdeploy.approvalKeySecretName" -}}
{{- .Values.approvalKey.existingSecret | default (printf "%s-approval-key" (include "appdeploy.fullname" .)) -}}
{{- end -}}

{{/*
The DNS name the API server dials for the webhook Service; the serving
certificate must name it.
*/}}
{{- define "appdeploy.serviceDNS" -}}
{{- printf "%s.%s.svc" (include "appdeploy.serviceName" .) .Release.Namespace -}}
{{- end -}}

{{/*
Which namespaces the webhooks and the admission policy see: the given
selector, else the watched namespaces, else all (empty).
*/}}
{{- define "appdeploy.namespaceSelector" -}}
{{- if .Values.webhook.namespaceSelector -}}
{{- toYaml .Values.webhook.namespaceSelector -}}
{{- else if .Values.watchNamespaces -}}
matchExpressions:
- key: kubernetes.io/metadata.name
  operator: In
  values:
{{- range .Values.watchNamespaces }}
  - {{ . | quote }}
{{- end }}
{{- end -}}
{{- end -}}

{{/*
What the operator does in a namespace it watches, derived from
operator/appdeploy/k8s/cluster.py (every request the reconciler makes) and
the kopf watches in operator/appdeploy/controller/operator.py. Each rule is
needed: tests/helm/test_least_privilege.py removes them one by one.
*/}}
{{- define "appdeploy.operatorRules" -}}
# kopf lists and watches releases; reconcile GETs one; consumed
# approve/reject/retry/cancel annotations are removed with a merge PATCH.
- apiGroups: [appdeploy.dev]
  resources: [appdeployments]
  verbs: [get, list, watch, patch]
# Status is written once per reconcile with optimistic concurrency (PUT).
- apiGroups: [appdeploy.dev]
  resources: [appdeployments/status]
  verbs: [update]
{{- if .Values.rbac.ownerReferencesPermissionEnforcement }}
# Only for the OwnerReferencesPermissionEnforcement admission plugin: Jobs
# are owned by their release with blockOwnerDeletion.
- apiGroups: [appdeploy.dev]
  resources: [appdeployments/finalizers]
  verbs: [update]
{{- end }}
# One Job per step attempt: create (AlreadyExists is adopted after a GET),
# delete when a run is superseded or cancelled; kopf lists and watches them
# (label selector app.kubernetes.io/managed-by=appdeploy).
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch, create, delete]
# Step outputs and failure messages are read from the Job's pods.
- apiGroups: [""]
  resources: [pods]
  verbs: [list, watch]
# Events on releases (approvals accepted or refused, steps started, failed,
# notifications that failed or are retried).
- apiGroups: [""]
  resources: [events]
  verbs: [create]
# Delivery claims and records outbox entries with JSON patches on status
# (each tests the entry it changes, so no resourceVersion is needed).
- apiGroups: [appdeploy.dev]
  resources: [appdeployments/status]
  verbs: [patch]
# NotificationChannels: kopf lists and watches them (Ready is shown to the
# releases naming them); delivery GETs one it has not seen yet; the channel
# check writes Ready and delivery writes lastDelivery (merge PATCH of status).
- apiGroups: [appdeploy.dev]
  resources: [notificationchannels]
  verbs: [get, list, watch]
- apiGroups: [appdeploy.dev]
  resources: [notificationchannels/status]
  verbs: [patch]
# The Secrets a channel names, read by name when it is checked and before it
# delivers. get only: list or watch would hand the operator every Secret of
# the namespace at once (and keep them in memory); a Secret that appears
# later is found by re-checking a channel that is not Ready every 30s.
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
{{- end -}}

{{/*
The webhook's TLS material (base64 values of ca.crt, tls.crt, tls.key) in
chart-generated mode. Generated once and then kept: an existing Secret is
looked up and reused while it names the same Service, so upgrades keep the
CA and the pod does not restart. Memoized in .Values for the render, so the
Secret, the webhook configurations and the Deployment's checksum agree.
*/}}
{{- define "appdeploy.webhookTLS" -}}
{{- if not (hasKey .Values.webhook "_generatedTLS") -}}
{{- $dns := include "appdeploy.serviceDNS" . -}}
{{- $secret := lookup "v1" "Secret" .Release.Namespace (include "appdeploy.webhookSecretName" .) -}}
{{- $data := dict -}}
{{- if and (eq (dig "metadata" "annotations" "appdeploy.dev/serving-dns" "" $secret) $dns) (dig "data" "ca.crt" "" $secret) (dig "data" "tls.crt" "" $secret) (dig "data" "tls.key" "" $secret) -}}
{{- $data = pick $secret.data "ca.crt" "tls.crt" "tls.key" -}}
{{- else -}}
{{- $days := int .Values.webhook.certValidityDays -}}
{{- $ca := genCA (printf "%s-webhook-ca" (include "appdeploy.fullname" .)) $days -}}
{{- $cert := genSignedCert $dns nil (list $dns (printf "%s.cluster.local" $dns)) $days $ca -}}
{{- $data = dict "ca.crt" ($ca.Cert | b64enc) "tls.crt" ($cert.Cert | b64enc) "tls.key" ($cert.Key | b64enc) -}}
{{- end -}}
{{- $_ := set .Values.webhook "_generatedTLS" $data -}}
{{- end -}}
{{- toYaml (index .Values.webhook "_generatedTLS") -}}
{{- end -}}

{{/*
One webhook entry; the same shape as
appdeploy.admission.configurations.webhook_configurations (a unit test
compares them). Arguments: root, path, failure, onlyDecisions.
*/}}
{{- define "appdeploy.webhook" -}}
{{- $root := .root -}}
- name: {{ .path }}.appdeploy.dev
  clientConfig:
    service:
      name: {{ include "appdeploy.serviceName" $root }}
      namespace: {{ $root.Release.Namespace }}
      port: 443
      path: /{{ .path }}
    {{- if not $root.Values.webhook.certManager.enabled }}
    caBundle: {{ index (include "appdeploy.webhookTLS" $root | fromYaml) "ca.crt" }}
    {{- end }}
  rules:
    - apiGroups: [appdeploy.dev]
      apiVersions: [v1alpha1]
      resources: [appdeployments]
      operations: [CREATE, UPDATE]
      scope: Namespaced
  failurePolicy: {{ .failure }}
  sideEffects: None
  admissionReviewVersions: [v1]
  timeoutSeconds: 10
  {{- with include "appdeploy.namespaceSelector" $root }}
  namespaceSelector:
    {{- . | nindent 4 }}
  {{- end }}
  {{- if .onlyDecisions }}
  # Only requests that add, change or remove a decision annotation (or retry,
  # cancel): everything else goes on while the operator is down (these hooks
  # fail closed).
  matchConditions:
    - name: touches-decisions
      expression: >-
        (has(object.metadata.annotations) && object.metadata.annotations.exists(k,
        (k.startsWith('approve.appdeploy.dev/') || k.startsWith('reject.appdeploy.dev/') ||
        k.contains('.approve.appdeploy.dev/') || k.contains('.reject.appdeploy.dev/') || k ==
        'appdeploy.dev/retry' || k == 'appdeploy.dev/cancel') && (oldObject == null ||
        !has(oldObject.metadata.annotations) || !(k in oldObject.metadata.annotations) ||
        oldObject.metadata.annotations[k] != object.metadata.annotations[k]))) || (oldObject !=
        null && has(oldObject.metadata.annotations) && oldObject.metadata.annotations.exists(k,
        (k.startsWith('approve.appdeploy.dev/') || k.startsWith('reject.appdeploy.dev/') ||
        k.contains('.approve.appdeploy.dev/') || k.contains('.reject.appdeploy.dev/') || k ==
        'appdeploy.dev/retry' || k == 'appdeploy.dev/cancel') &&
        (!has(object.metadata.annotations) || !(k in object.metadata.annotations))))
  {{- end }}
  {{- with .expression }}
  matchConditions:
    - name: {{ $.conditionName }}
      expression: {{ . | quote }}
  {{- end }}
{{- end -}}

{{/*
One step-object webhook entry (stepObjects.webhook), the same shape as
webhook_configurations(operator_user=...) (a unit test compares them).
Only Jobs or pods labelled as a step's, before or after the request, from
anyone but their rightful creator reach it (matchConditions); failurePolicy
Fail then blocks only what it would refuse. Arguments: root, path, resource.
*/}}
{{- define "appdeploy.stepWebhook" -}}
{{- $root := .root -}}
{{- $claim := "k.startsWith('appdeploy.dev/') || (k == 'app.kubernetes.io/managed-by' && L.metadata.labels[k] == 'appdeploy')" -}}
{{- if eq .resource "pods" -}}
{{- $claim = printf "%s || k == 'batch.kubernetes.io/controller-uid' || k == 'controller-uid'" $claim -}}
{{- end -}}
{{- $new := printf "(has(object.metadata.labels) && object.metadata.labels.exists(k, %s))" ($claim | replace "L." "object.") -}}
{{- $old := printf "(oldObject != null && has(oldObject.metadata.labels) && oldObject.metadata.labels.exists(k, %s))" ($claim | replace "L." "oldObject.") -}}
- name: {{ .path }}.appdeploy.dev
  clientConfig:
    service:
      name: {{ include "appdeploy.serviceName" $root }}
      namespace: {{ $root.Release.Namespace }}
      port: 443
      path: /{{ .path }}
    {{- if not $root.Values.webhook.certManager.enabled }}
    caBundle: {{ index (include "appdeploy.webhookTLS" $root | fromYaml) "ca.crt" }}
    {{- end }}
  rules:
    - apiGroups: [{{ if eq .resource "jobs" }}batch{{ else }}""{{ end }}]
      apiVersions: ["*"]
      resources: [{{ .resource }}]
      operations: [CREATE, UPDATE]
      scope: Namespaced
  failurePolicy: Fail
  sideEffects: None
  admissionReviewVersions: [v1]
  timeoutSeconds: 10
  {{- with include "appdeploy.namespaceSelector" $root }}
  namespaceSelector:
    {{- . | nindent 4 }}
  {{- end }}
  matchConditions:
    - name: claims-step-labels
      expression: {{ printf "%s || %s" $new $old | quote }}
    {{- if eq .resource "jobs" }}
    - name: not-the-operator
      expression: {{ printf "request.userInfo.username != '%s'" (include "appdeploy.operatorUser" $root) | quote }}
    {{- else }}
    - name: not-the-job-controller
      expression: {{ printf "!(request.userInfo.username in %s)" ($root.Values.stepObjects.podCreators | toJson) | quote }}
    {{- end }}
{{- end -}}

{{/*
The console's names and labels. Its own app.kubernetes.io/name: the
operator's selectors (Deployment, Service, NetworkPolicy) match name and
instance only, and a Deployment's selector cannot change on upgrade, so a
shared name would put console pods behind the webhook Service and under the
operator's NetworkPolicy.
*/}}
{{- define "appdeploy.consoleName" -}}
{{- printf "%s-console" (include "appdeploy.fullname" .) -}}
{{- end -}}

{{- define "appdeploy.consoleSelectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}-console
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "appdeploy.consoleLabels" -}}
{{ include "appdeploy.consoleSelectorLabels" . }}
app.kubernetes.io/component: console
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/*
Egress to the API server (networkPolicy.apiServer), the same rule for the
operator and the console: its ports and, if given, its addresses.
*/}}
{{- define "appdeploy.apiServerEgress" -}}
- ports:
    {{- range .Values.networkPolicy.apiServer.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with .Values.networkPolicy.apiServer.cidrs }}
  to:
    {{- range . }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
{{- end -}}
