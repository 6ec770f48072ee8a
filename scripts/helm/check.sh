#!/usr/bin/env bash
# Validates the Helm chart deploy/helm/framewise offline: helm lint --strict and helm template for
# each values file in its ci/ folder, then every rendered object strictly against the Kubernetes
# API's Go types (scripts/helm/validate), and the chart's own refusals. Needs Go and the Go module
# proxy only: helm and the validator are built from it into a cache outside the repository
# ($FRAMEWISE_HELM_CACHE, default ~/.cache/framewise-helm), then reused. Exits non-zero on any failure.
#
#   bash scripts/helm/check.sh
set -euo pipefail

HELM_VERSION=v3.21.4   # helm.sh/helm/v3, built with `go install` (the Go proxy serves no helm binary)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CHART=$ROOT/deploy/helm/framewise
VALIDATE_SRC=$ROOT/scripts/helm/validate
CACHE=${FRAMEWISE_HELM_CACHE:-$HOME/.cache/framewise-helm}
started=$SECONDS

command -v go >/dev/null || { echo "check.sh: needs Go (go.mod of the validator names the version)" >&2; exit 1; }
# Everything Go fetches or builds stays in the cache; GOPROXY and GOTOOLCHAIN as the environment has them.
export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gobuild GOFLAGS=-buildvcs=false
mkdir -p "$CACHE"

# helm: reused when the binary there is the pinned module version.
HELM=$CACHE/helm-$HELM_VERSION/helm
if ! go version -m "$HELM" 2>/dev/null | grep -qE "^\s+mod\s+helm.sh/helm/v3\s+$HELM_VERSION\s"; then
  echo "==> building helm $HELM_VERSION (first run only: a few minutes)"
  GOBIN=$(dirname "$HELM") go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi

# The validator: rebuilt when its sources change (go.sum pins every module; -mod=readonly, the
# default, refuses to build if it does not).
hash=$(cd "$VALIDATE_SRC" && cat go.mod go.sum *.go | sha256sum | cut -c1-16)
VALIDATE=$CACHE/validate-$hash
if [[ ! -x $VALIDATE ]]; then
  echo "==> building the validator"
  rm -f "$CACHE"/validate-*   # older builds
  (cd "$VALIDATE_SRC" && go build -trimpath -o "$VALIDATE.tmp" . && mv "$VALIDATE.tmp" "$VALIDATE")
fi

# Render for the Kubernetes release whose API types the validator decodes into (k8s.io/api v0.X.Y
# is Kubernetes 1.X.Y); helm built by `go install` would otherwise assume 1.20.
K8S_API=$(awk '$1 == "k8s.io/api" { print $2 }' "$VALIDATE_SRC/go.mod")
KUBE_VERSION=1.${K8S_API#v0.}
echo "==> helm $HELM_VERSION, k8s.io/api $K8S_API (Kubernetes $KUBE_VERSION)"

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
failures=()
summary=()
for values in "$CHART"/ci/*.yaml; do
  name=$(basename "$values" .yaml)
  echo "==> $name: helm lint --strict"
  if ! "$HELM" lint --strict --kube-version "$KUBE_VERSION" "$CHART" -f "$values"; then
    failures+=("$name: helm lint"); continue
  fi
  echo "==> $name: helm template | validate"
  if ! "$HELM" template framewise "$CHART" --namespace framewise --kube-version "$KUBE_VERSION" -f "$values" >"$OUT/$name.yaml"; then
    failures+=("$name: helm template"); continue
  fi
  if "$VALIDATE" "$OUT/$name.yaml" | tee "$OUT/$name.log"; then
    summary+=("$name: $(grep -c '^  ok ' "$OUT/$name.log") objects valid ($(grep '^  ok ' "$OUT/$name.log" | awk '{print $3}' | sort | uniq -c | awk '{printf "%s%d %s", sep, $1, $2; sep=", "}'))")
  else
    failures+=("$name: validation")
  fi
done

# Values the chart must refuse (its `fail`s), so that a mistake stops at install, not in the pods.
must_fail() {
  local why=$1; shift
  if "$HELM" template framewise "$CHART" --kube-version "$KUBE_VERSION" "$@" >/dev/null 2>"$OUT/err"; then
    failures+=("accepted $why ($*)")
  else
    echo "  refused as it should: $why: $(sed -n 's/^Error: execution error at ([^)]*): //p' "$OUT/err" | head -1)"
  fi
}
echo "==> values the chart refuses"
must_fail "a key in the ConfigMap" --set config.FRAMEWISE_ADMIN_KEY=0123456789abcdef
must_fail "a variable the chart sets" --set config.FRAMEWISE_PORT=9000
must_fail "an empty S3 endpoint" --set s3.endpoint=

echo "==> summary ($((SECONDS - started)) s)"
printf '  %s\n' "${summary[@]}"
if ((${#failures[@]})); then
  printf '  FAILED: %s\n' "${failures[@]}"
  exit 1
fi
echo "  all checks passed"
