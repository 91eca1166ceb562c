#!/usr/bin/env bash
# Issue 5's performance figures, measured: Go benchmarks (median of -count
# runs) and the whole process through a real pseudo-terminal. Not part of
# .ci/run. Takes about 5 minutes on 2 cores; PERF_QUICK=1 skips the refresh
# storm and shortens the idle window.
#
#   bash perf/run.sh            # needs go, hyperfine and gh (apt-get install -y hyperfine gh)
#
# Everything it makes lives in a temp directory; no network but 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

quick=${PERF_QUICK:-0}
count=${PERF_COUNT:-5}   # -count of the Go benchmarks
idle=${PERF_IDLE:-20s}   # idle window of the pty measurement
[ "$quick" = 1 ] && idle=5s

for tool in hyperfine gh; do
  if ! command -v "$tool" >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get install -y -qq "$tool" >/dev/null
    else
      echo "perf/run.sh needs $tool: apt-get install -y $tool" >&2
      exit 1
    fi
  fi
done

w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
step() { printf '\n== %s\n' "$*"; }

step "build"
go build -o "$w/tokenring" .
go build -o "$w/seed" ./perf/seed
go build -o "$w/ptyrec" ./perf/ptyrec
go build -o "$w/tool" ./perf/tool
ls -l "$w/tokenring" | awk '{printf "tokenring binary: %.1f MB\n", $5/1048576}'
echo "$(nproc) cores; $(go version)"

step "seed: 1,000 account files, one with a valid token in the file keyring"
pass="perf-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
TOKENRING_PASSPHRASE=$pass "$w/seed" -dir "$w/home" -n 1000
echo "accounts/: $(ls "$w/home/accounts" | wc -l) files, $(du -b -s "$w/home/accounts" | cut -f1) bytes"

step "Go benchmarks (median of $count runs)"
echo "ui: View() of the list with 1,000 accounts; one 1 Hz tick; first frame (1,000 accounts, keyring locked)"
go test -run '^$' -bench 'BenchmarkListView$|BenchmarkUpdateTick$|BenchmarkFirstFrame1000Locked$' -count "$count" ./ui | "$w/tool" benchmedian
echo "flow/exchange: code exchange and refresh against a canned local server; the bare net/http round trip; the client alone (in memory)"
go test -run '^$' -bench 'BenchmarkExchange$|BenchmarkRefresh$|BenchmarkBaselinePOST$|BenchmarkExchangeInMemory$|BenchmarkRefreshInMemory$' -count "$count" ./flow/exchange | "$w/tool" benchmedian
echo "accounts: one account of 1,000 from its file; all 1,000 files, nothing cached; Token() on the file backend"
go test -run '^$' -bench 'BenchmarkAccount1000Cold$|BenchmarkAccounts1000Cold$|BenchmarkTokenValidFile$' -count "$count" ./accounts | "$w/tool" benchmedian
if [ "$quick" != 1 ]; then
  echo "ui: 1,000 accounts expiring together, refreshed against a local OIDC provider (3 storms; frames = Update+View per message)"
  go test -run '^$' -bench 'BenchmarkRefreshStorm1000$' -benchtime 1x -count 3 -timeout 30m ./ui | "$w/tool" benchmedian
fi

step "tokenring token NAME (valid token, file backend), whole process, beside gh auth token and the floors"
mkdir -p "$w/gh"
printf 'github.com:\n    oauth_token: gho_perfFakeToken0123456789abcdefghijkl\n    user: perf\n    git_protocol: https\n' > "$w/gh/hosts.yml"
TOKENRING_HOME="$w/home" TOKENRING_KEYRING=file TOKENRING_PASSPHRASE=$pass \
GH_CONFIG_DIR="$w/gh" GH_NO_UPDATE_NOTIFIER=1 GH_PROMPT_DISABLED=1 \
  hyperfine -N --warmup 10 --runs 200 --export-json "$w/token.json" --style none \
    -n "gh auth token" "gh auth token" \
    -n "tokenring --version (start-up only)" "$w/tokenring --version" \
    -n "a Go process printing a line" "$w/tool hello" >/dev/null
"$w/tool" hyperfine "$w/token.json"
# Since issue 10 this path derives the key with Argon2id on every call (by
# design: ~0.4 s); perf/agent.sh below measures it beside the agent's.
TOKENRING_HOME="$w/home" TOKENRING_KEYRING=file TOKENRING_PASSPHRASE=$pass \
  hyperfine -N --warmup 2 --runs 20 --export-json "$w/token-env.json" --style none \
    -n "tokenring token perf-token (TOKENRING_PASSPHRASE, no agent)" "$w/tokenring token perf-token" >/dev/null
"$w/tool" hyperfine "$w/token-env.json"
"$w/tool" pbkdf2 -runs 300

step "issue 10: tokenring token through the unlock agent, beside hello-world, gh and the paths without an agent"
RUNS=${PERF_AGENT_RUNS:-60} bash perf/agent.sh

step "the TUI through a real pty (80x27: 20 rows of countdowns), 1,000 accounts, keyring locked"
echo "first frame (9 runs):"
env -u TOKENRING_PASSPHRASE TOKENRING_HOME="$w/home" TOKENRING_KEYRING=file \
  "$w/ptyrec" -cols 80 -rows 27 -runs 9 -ready "1000 accounts" -- "$w/tokenring" | tail -1
echo "idle for $idle after the first frame (3 runs): bytes to the terminal, CPU, memory:"
env -u TOKENRING_PASSPHRASE TOKENRING_HOME="$w/home" TOKENRING_KEYRING=file \
  "$w/ptyrec" -cols 80 -rows 27 -runs 3 -idle "$idle" -ready "1000 accounts" -- "$w/tokenring"
