// Command kstatus computes the kstatus result of Kubernetes objects with the
// real library (sigs.k8s.io/cli-utils/pkg/kstatus/status), the one Flux's
// kustomize-controller and kpt use for health checks.
//
// It reads one JSON object per line on stdin (as `kubectl get -o json` or the
// API server returns them) and writes one JSON line per object:
// {"status": "InProgress", "message": "..."}, or {"error": "..."}.
// Objects are decoded with unstructured.UnmarshalJSON, as client-go does:
// plain encoding/json would make metadata.generation a float64, and kstatus
// then fails reading it.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type result struct {
	Status  string `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
}

func compute(line []byte) result {
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(line); err != nil {
		return result{Error: fmt.Sprintf("decoding the object: %v", err)}
	}
	res, err := status.Compute(obj)
	if err != nil {
		return result{Error: err.Error()}
	}
	return result{Status: res.Status.String(), Message: res.Message}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 1<<20), 16<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		if len(in.Bytes()) == 0 {
			continue
		}
		if err := out.Encode(compute(in.Bytes())); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
