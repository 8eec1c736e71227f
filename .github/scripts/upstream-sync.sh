#!/usr/bin/env bash
# The upstream-sync workflow (.github/workflows/upstream-sync.yml), as one script so it runs the same
# on GitHub, on a maintainer's machine and in the tests (test/integration/upstreamSyncWorkflow.test.ts
# runs it against a local bare repository as the remote, with a stand-in for the GitHub CLI).
#
#   1. meshfork sync check --all --format markdown        (the report, kept as sync-check.md)
#   2. nothing newer in "supports": stop, exit 0
#   3. meshfork sync rebase --to NEWEST --non-interactive --commit --summary sync-summary.md
#   4a. done:     meshfork sync push, then a pull request with sync-summary.md as its body
#   4b. conflict: sync-conflict.md, and one issue labelled upstream-conflict opened or updated with it
#   security-flagged upstream commits put the "security" label on the pull request or the issue.
#
# Environment: MESHFORK (default `npx --no-install meshfork`), SYNC_TO (a release instead of the newest),
# SYNC_REMOTE (default origin), SYNC_OUT (report folder, default .), GH (default gh; needs GH_TOKEN),
# SYNC_TOKEN_SOURCE (app, MESHFORK_SYNC_TOKEN or GITHUB_TOKEN: which token GH_TOKEN is; with GITHUB_TOKEN
# GitHub starts no workflow for the pull request, and the run warns so).
# SYNC_TO may be written v1.1.58 or =1.1.58 like every meshfork version: the branch, the pull request and
# the security lookup use 1.1.58.
set -euo pipefail

MESHFORK=${MESHFORK:-npx --no-install meshfork}
GH=${GH:-gh}
REMOTE=${SYNC_REMOTE:-origin}
OUT=${SYNC_OUT:-.}
SECURITY_LABEL=security
CONFLICT_LABEL=upstream-conflict
mkdir -p "$OUT"

json_field() { # json_field FILE EXPRESSION (r is the parsed report)
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const v = eval(process.argv[2]); process.stdout.write(v === null || v === undefined ? "" : String(v));' "$1" "$2"
}

# 1. The check. Exit 0/1/3 are answers (clean, conflict, needs a refresh); anything else is an error.
check_status=0
$MESHFORK sync check --all --format markdown > "$OUT/sync-check.md" || check_status=$?
case $check_status in 0|1|3) ;; *) cat "$OUT/sync-check.md"; echo "meshfork sync check failed (exit $check_status)" >&2; exit "$check_status" ;; esac
$MESHFORK --json sync check --all > "$OUT/sync-check.json" || true
cat "$OUT/sync-check.md"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$OUT/sync-check.md" >> "$GITHUB_STEP_SUMMARY"; fi

# 2. Anything newer?
if [ -n "${SYNC_TO:-}" ]; then
  target=$SYNC_TO
  target=${target#=}
  target=${target#v}
elif [ "$(json_field "$OUT/sync-check.json" 'r.upToDate')" = "true" ]; then
  echo "Up to date: no release newer than the base inside \"supports\"."
  exit 0
else
  target=$(json_field "$OUT/sync-check.json" 'r.newest')
fi
# security commits between the base and the target (a git upstream lists them; npm has no history: 0)
security=$(TARGET=$target json_field "$OUT/sync-check.json" '((r.releases.find((x) => x.version === process.env.TARGET) || {}).securityCommits || []).length')
labels=()
add_labels=()
if [ "${security:-0}" -gt 0 ]; then
  labels=(--label "$SECURITY_LABEL")
  add_labels=(--add-label "$SECURITY_LABEL")
  $GH label create "$SECURITY_LABEL" --color B60205 --description "upstream commits that mention security, CVE or vulnerability" --force
fi

branch="meshfork/upstream-$target"
remote_status=0
git ls-remote --exit-code --heads "$REMOTE" "$branch" > /dev/null || remote_status=$?
if [ "$remote_status" -eq 0 ]; then
  echo "Branch $branch is already on $REMOTE: its pull request is open or merged; nothing to do."
  exit 0
elif [ "$remote_status" -ne 2 ]; then
  echo "git ls-remote $REMOTE failed (exit $remote_status)" >&2
  exit 4
fi

# 3. The rebase: 0 done, 1 stopped on a conflict; anything else is an error.
rebase_status=0
$MESHFORK sync rebase --to "$target" --non-interactive --commit --branch "$branch" --summary "$OUT/sync-summary.md" > "$OUT/sync-rebase.txt" 2>&1 || rebase_status=$?
cat "$OUT/sync-rebase.txt"

if [ "$rebase_status" -eq 0 ]; then
  # 4a. Push the branch and open the pull request with the summary.
  $MESHFORK sync push --remote "$REMOTE" --branch "$branch"
  $GH pr create --head "$branch" --title "Upstream MeshCentral $target" --body-file "$OUT/sync-summary.md" "${labels[@]}"
  if [ "${SYNC_TOKEN_SOURCE:-}" = "GITHUB_TOKEN" ]; then
    echo "::warning::The pull request was opened with GITHUB_TOKEN: GitHub starts no workflow for it, so ci.yml does not run on it. Set the MESHFORK_SYNC_TOKEN secret or a GitHub App (UPSTREAM_SYNC.md, \"The token\"), or close and reopen the pull request to start CI."
  fi
  exit 0
elif [ "$rebase_status" -eq 1 ]; then
  # 4b. One issue for the conflict: updated when one is open already, else opened.
  {
    echo "# MeshCentral $target: the series does not rebase cleanly"
    echo
    echo "\`meshfork sync rebase --to $target\` stopped on a conflict. Resolve it locally (UPSTREAM_SYNC.md, \"Resolve conflicts\"):"
    echo
    echo '```'
    cat "$OUT/sync-rebase.txt"
    echo '```'
    echo
    cat "$OUT/sync-check.md"
  } > "$OUT/sync-conflict.md"
  $GH label create "$CONFLICT_LABEL" --color D93F0B --description "the patch series conflicts with a newer upstream release" --force
  existing=$($GH issue list --state open --label "$CONFLICT_LABEL" --json number --jq '.[0].number')
  if [ -n "$existing" ]; then
    $GH issue edit "$existing" --title "Upstream MeshCentral $target conflicts with the series" --body-file "$OUT/sync-conflict.md" "${add_labels[@]}"
  else
    $GH issue create --title "Upstream MeshCentral $target conflicts with the series" --body-file "$OUT/sync-conflict.md" --label "$CONFLICT_LABEL" "${labels[@]}"
  fi
  echo "::warning::MeshCentral $target conflicts with the series: see the upstream-conflict issue"
  exit 0
else
  echo "meshfork sync rebase failed (exit $rebase_status)" >&2
  exit "$rebase_status"
fi
