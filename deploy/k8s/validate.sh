#!/usr/bin/env bash
# Validates every manifest in deploy/k8s strictly (unknown fields are errors)
# against the Kubernetes OpenAPI schemas bundled in PyPI's
# kubernetes-validate: no cluster and no network needed once installed.
#   bash deploy/k8s/validate.sh [FILE...]     # default: deploy/k8s/*.yaml
# Settings: K8S_VERSION (schemas, default 1.30.0: the oldest with
# securityContext.appArmorProfile), FLASH_VALIDATE_VENV (where the validator
# is installed once, default ~/.cache/flash/k8s-validate-venv).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${FLASH_VALIDATE_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/flash/k8s-validate-venv}
pin=kubernetes-validate==1.37.0
version=${K8S_VERSION:-1.30.0}
if ! "$venv/bin/python" -c 'import kubernetes_validate' 2>/dev/null ||
    [ "$("$venv/bin/pip" show kubernetes-validate 2>/dev/null | awk '/^Version/ {print $2}')" != "${pin#*==}" ]; then
    command -v python3 >/dev/null || { echo "validate.sh: python3 is needed" >&2; exit 2; }
    python3 -c 'import venv, ensurepip' 2>/dev/null || {
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "$pin"
fi
[ $# -gt 0 ] || set -- "$here"/*.yaml
# --strict: unknown properties fail; exit status non-zero on any invalid
# document. Warnings (e.g. deprecated APIs) are shown but do not fail.
"$venv/bin/kubernetes-validate" --strict -k "$version" "$@"
