{{- define "portcullis.fullname" -}}
{{- printf "%s-portcullis" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "portcullis.labels" -}}
app.kubernetes.io/name: portcullis
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "portcullis.selector" -}}
app.kubernetes.io/name: portcullis
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "portcullis.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "portcullis.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "portcullis.fullname" .)) -}}
{{- end -}}

{{/* A value of .Values.config as TOML: numbers as integers (YAML numbers reach templates as
     floats, which TOML would print as 2.0), booleans as they are, anything else quoted. */}}
{{- define "portcullis.tomlValue" -}}
{{- if kindIs "float64" . -}}{{ int64 . }}
{{- else if kindIs "int64" . -}}{{ . }}
{{- else if kindIs "bool" . -}}{{ . }}
{{- else -}}{{ toString . | quote }}
{{- end -}}
{{- end -}}

{{/* The environment of every pod, the migrate hook's included: the log format, and in
     cluster mode the Kafka and ScyllaDB endpoints (the hook runs before the ConfigMap
     exists, so these are not in it). */}}
{{- define "portcullis.env" -}}
- {name: PORTCULLIS_LOG_FORMAT, value: {{ .Values.logFormat | quote }}}
{{- with .Values.traces.otlpEndpoint }}
- {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: {{ . | quote }}}
{{- end }}
{{- if eq .Values.mode "cluster" }}
- {name: PORTCULLIS_KAFKA_BROKERS, value: {{ .Values.cluster.kafka.brokers | quote }}}
- {name: PORTCULLIS_KAFKA_PARTITIONS, value: {{ .Values.cluster.kafka.partitions | int64 | quote }}}
- {name: PORTCULLIS_KAFKA_REPLICATION_FACTOR, value: {{ .Values.cluster.kafka.replicationFactor | int64 | quote }}}
- {name: PORTCULLIS_CQL_NODES, value: {{ .Values.cluster.scylla.hosts | quote }}}
- {name: PORTCULLIS_CQL_KEYSPACE, value: {{ .Values.cluster.scylla.keyspace | quote }}}
- {name: PORTCULLIS_CQL_REPLICATION, value: {{ .Values.cluster.scylla.replication | quote }}}
{{- with .Values.cluster.scylla.localDatacenter }}
- {name: PORTCULLIS_CQL_LOCAL_DATACENTER, value: {{ . | quote }}}
{{- end }}
{{- end }}
{{- end -}}

{{/* The container every role runs: its role, the config file, the secrets, the probes. */}}
{{- define "portcullis.container" -}}
- name: portcullis
  image: {{ include "portcullis.image" .root }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  args: ["start", "--role", "{{ .role }}"]
  env:
    {{- include "portcullis.env" .root | nindent 4 }}
    - {name: PORTCULLIS_CONFIG, value: /etc/portcullis/portcullis.toml}
    - name: PORTCULLIS_MASTERKEY
      valueFrom:
        secretKeyRef: {name: {{ include "portcullis.secretName" .root }}, key: masterkey}
    - name: PORTCULLIS_ADMIN_PASSWORD
      valueFrom:
        secretKeyRef: {name: {{ include "portcullis.secretName" .root }}, key: admin-password}
    {{- if eq .role "command" }}
    {{- /* Other nodes forward commands to the address a command node announces. */}}
    - name: POD_IP
      valueFrom:
        fieldRef: {fieldPath: status.podIP}
    - {name: PORTCULLIS_ADVERTISE, value: "$(POD_IP):8080"}
    {{- end }}
    {{- /* The first start's tokens; an existing Secret may leave them out (then generated). */}}
    - name: PORTCULLIS_ADMIN_PAT
      valueFrom:
        secretKeyRef: {name: {{ include "portcullis.secretName" .root }}, key: admin-pat, optional: true}
    - name: PORTCULLIS_SYSTEM_PAT
      valueFrom:
        secretKeyRef: {name: {{ include "portcullis.secretName" .root }}, key: system-pat, optional: true}
  ports:
    - {name: http, containerPort: 8080}
    {{- if or (eq .role "all") (eq .role "gateway") }}
    - {name: grpc, containerPort: 8081}
    {{- /* /metrics: scraped from the pod; no Service or Ingress routes it. */}}
    - {name: admin, containerPort: 9464}
    {{- end }}
  livenessProbe:
    httpGet: {path: /healthz, port: http}
    periodSeconds: 10
  readinessProbe:
    httpGet: {path: /readyz, port: http}
    periodSeconds: 5
  resources:
    {{- toYaml .resources | nindent 4 }}
  securityContext:
    {{- toYaml .root.Values.securityContext | nindent 4 }}
  volumeMounts:
    - {name: config, mountPath: /etc/portcullis, readOnly: true}
    - {name: data, mountPath: /data}
{{- end -}}

{{/* The config volume of every pod that runs the container above. */}}
{{- define "portcullis.configVolume" -}}
- name: config
  configMap:
    name: {{ include "portcullis.fullname" . }}-config
{{- end -}}
