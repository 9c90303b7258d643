module github.com/deskmock/deskmock

go 1.24

require (
	github.com/google/go-cmp v0.7.0
	github.com/gorilla/mux v1.8.1
	github.com/santhosh-tekuri/jsonschema/v5 v5.3.1
	github.com/tencentyun/tls-sig-api-v2-golang v1.4.0
	go.yaml.in/yaml/v3 v3.0.6
)
