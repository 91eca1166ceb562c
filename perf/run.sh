#!/usr/bin/env bash
# Issue 13's table: every performance target as a ratio to a floor or a
# peer measured in the same run, interleaved (A B A B ...: a shared
# machine's drift falls on each alike), as the median of the per-turn
# ratios with their min-max, and the machine's load beside every block.
# Not part of .ci/run. ~12 minutes on 2 cores; PERF_QUICK=1 (~4 minutes)
# runs every row with fewer turns and shorter idle windows.
#
#   bash perf/run.sh            # needs go, hyperfine and gh; oidc-token (oidc-agent) for its row
#
# The floors (perf/hello, perf/bare) and peers:
#   hello        a Go binary printing a line, built here (whole-process commands)
#   initonly     links every package tokenring links and runs no command: the
#                start-up and package init every command pays (not a target;
#                it says how much of a ratio a command's own code can change)
#   bare         a bare Bubble Tea v2 program at the TUI's FPS drawing 20
#                countdown rows with a selected one, in the same pty (first
#                frame, idle CPU, idle bytes)
#   gh           `gh auth token` (Debian's gh, a fake token in GH_CONFIG_DIR)
#   oidc-token   Debian's oidc-agent: a C client of a running agent, its
#                account set up against a local OIDC provider on 127.0.0.1
#
# Everything it makes lives in a temp directory; no network but 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

quick=${PERF_QUICK:-0}
runs=${PERF_RUNS:-60}     # turns of each whole-process command
frames=${PERF_FRAMES:-9}  # pty runs for the first frame
idleruns=${PERF_IDLE_RUNS:-3}
idle=${PERF_IDLE:-20s}    # idle window of the pty measurement
storms=${PERF_STORMS:-3}
count=${PERF_COUNT:-5}    # -count of the Go benchmarks
if [ "$quick" = 1 ]; then
  runs=20 frames=3 idleruns=1 idle=6s storms=1 count=2
fi

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
pids=()
cleanup() {
  [ -x "$w/tokenring" ] && TOKENRING_HOME="$w/agent" XDG_RUNTIME_DIR="$w/rt" "$w/tokenring" lock >/dev/null 2>&1 || true
  [ -x "$w/tokenring" ] && TOKENRING_HOME="$w/kc" TOKENRING_KEYRING=keyctl "$w/tokenring" remove "$kcname" >/dev/null 2>&1 || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$w"
}
kcname="perf-kc-$$"
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
ratios="$w/ratios"   # LABEL|FLOOR|WHAT|MEDIAN|MIN|MAX|VALUE|FLOOR_VALUE
loads="$w/loads"     # BLOCK|load before|load after
block() { # block NAME CMD...: run one measured block, note the load before and after
  local name=$1 before
  shift
  before=$(load)
  "$@"
  echo "$name|$before|$(load)" >>"$loads"
}

step "build"
go build -o "$w/tokenring" .
CGO_ENABLED=0 go build -o "$w/tokenring-static" .
for t in hello initonly bare seed ptyrec tool; do go build -o "$w/$t" "./perf/$t"; done
ls -l "$w/tokenring" "$w/tokenring-static" "$w/hello" "$w/initonly" "$w/bare" | awk '{printf "  %-22s %5.1f MB\n", substr($NF, length($NF)-20), $5/1048576}'
file "$w/tokenring" | grep -q 'dynamically linked' && echo "  (go build links tokenring dynamically: net and os/user use cgo; CGO_ENABLED=0 builds it static)"
echo "$(nproc) cores; $(go version); load $(load)"

step "seed"
pass="perf-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
TOKENRING_PASSPHRASE=$pass "$w/seed" -dir "$w/h10" -n 10
TOKENRING_PASSPHRASE=$pass "$w/seed" -dir "$w/h1k" -n 1000
TOKENRING_PASSPHRASE=$pass "$w/seed" -dir "$w/h10k" -n 10000
TOKENRING_PASSPHRASE=$pass "$w/seed" -dir "$w/agent" -n 10
keyctl=1
"$w/seed" -dir "$w/kc" -n 10 -backend keyctl -name "$kcname" 2>/dev/null || keyctl=0
[ $keyctl = 1 ] || echo "  keyctl does not work here: its row is skipped"
echo "  10, 1,000 and 10,000 account files (file keyring; the TUI is measured locked); 10 with perf-token in keyctl; 10 for the agent"
mkdir -m 700 "$w/rt" "$w/gh"
printf 'github.com:\n    oauth_token: gho_perfFakeToken0123456789abcdefghijkl\n    user: perf\n    git_protocol: https\n' >"$w/gh/hosts.yml"
env TOKENRING_HOME="$w/agent" TOKENRING_KEYRING=file XDG_RUNTIME_DIR="$w/rt" TOKENRING_PASSPHRASE=$pass "$w/tokenring" unlock >/dev/null
got=$(env TOKENRING_HOME="$w/agent" TOKENRING_KEYRING=file XDG_RUNTIME_DIR="$w/rt" "$w/tokenring" token perf-token)
[ "$got" = perf-access-token-0123456789abcdefghijklmnopqrstuvwxyz ] || { echo "agent: wrong token" >&2; exit 1; }

# oidc-token: a local OIDC provider, oidc-agent, an account made by oidc-gen
# with a refresh token the provider minted; oidc-token then gets its cached
# access token from the agent (what `tokenring token` does through ours).
oidc=0
if command -v oidc-token >/dev/null && command -v oidc-agent >/dev/null; then
  go build -o "$w/localoauth" ./internal/localoauth/cmd/localoauth
  mkdir -p "$w/oidc"
  LOCALOAUTH_CLIENT_SECRET=perfsecret "$w/localoauth" -provider oidc -client-id oidcperf -access-ttl 24h -basic >"$w/oidc/srv.json" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 50); do [ -s "$w/oidc/srv.json" ] && break; sleep 0.1; done
  url=$(sed 's/.*"url":"\([^"]*\)".*/\1/' "$w/oidc/srv.json")
  rt=$(curl -s -X POST "$url/_localoauth/mint" -d 'scope=openid offline_access profile email' -d ttl=24h | sed 's/.*"RefreshToken":"\([^"]*\)".*/\1/')
  export OIDC_CONFIG_DIR="$w/oidc/cfg"
  mkdir -p "$OIDC_CONFIG_DIR"
  eval "$(oidc-agent --no-autoload 2>/dev/null)" >/dev/null
  [ -n "${OIDCD_PID:-}" ] && pids+=("$OIDCD_PID")
  if OIDCPW=pw oidc-gen perf --manual --iss="$url" --client-id=oidcperf --client-secret=perfsecret --rt="$rt" \
      --scope=openid --pw-env=OIDCPW --redirect-uri=http://localhost:8080 </dev/null >/dev/null 2>&1 &&
     oidc-token perf >/dev/null 2>&1; then
    oidc=1
  fi
fi
[ $oidc = 1 ] || echo "  oidc-token could not be set up: its row is skipped"

step "whole process: token, --version, list, beside hello-world and the peers ($runs turns; load $(load))"
common="TOKENRING_KEYRING=file XDG_RUNTIME_DIR=$w/rt"
cmds=(
  "hello|$w/hello"
  "init only|$w/initonly"
  "token, agent|TOKENRING_HOME=$w/agent $common $w/tokenring token perf-token"
  "token, agent, static|TOKENRING_HOME=$w/agent $common $w/tokenring-static token perf-token"
  "--version|$w/tokenring --version"
  "--version, static|$w/tokenring-static --version"
  "list, 10 accounts|TOKENRING_HOME=$w/h10 $common $w/tokenring list"
  "list, 10, static|TOKENRING_HOME=$w/h10 $common $w/tokenring-static list"
  "gh auth token|GH_CONFIG_DIR=$w/gh GH_NO_UPDATE_NOTIFIER=1 GH_PROMPT_DISABLED=1 gh auth token"
)
[ $keyctl = 1 ] && cmds+=(
  "token, keyctl|TOKENRING_HOME=$w/kc TOKENRING_KEYRING=keyctl XDG_RUNTIME_DIR=$w/rt $w/tokenring token $kcname"
  "token, keyctl, static|TOKENRING_HOME=$w/kc TOKENRING_KEYRING=keyctl XDG_RUNTIME_DIR=$w/rt $w/tokenring-static token $kcname")
[ $oidc = 1 ] && cmds+=("oidc-token|OIDC_SOCK=$OIDC_SOCK oidc-token perf")
block process "$w/tool" interleave -runs "$runs" -warmup 5 -floor hello -ratios "$ratios" "${cmds[@]}"
# the agent path beside oidc-token (the peer is a client of a running agent too)
[ $oidc = 1 ] && "$w/tool" interleave -runs "$runs" -warmup 3 -floor oidc-token -ratios "$ratios" \
  "oidc-token|OIDC_SOCK=$OIDC_SOCK oidc-token perf" \
  "token, agent|TOKENRING_HOME=$w/agent $common $w/tokenring token perf-token" | grep -E 'token, agent +wall' || true

step "token, file keyring, TOKENRING_PASSPHRASE, no agent: one Argon2id derivation per call by design (load $(load))"
block env "$w/tool" interleave -runs "$(( runs / 6 + 2 ))" -warmup 1 -floor hello -ratios "$ratios" \
  "hello|$w/hello" \
  "token, env passphrase|TOKENRING_HOME=$w/h10 TOKENRING_KEYRING=file TOKENRING_PASSPHRASE=$pass $w/tokenring token perf-token"

step "list --json, 1,000 and 10,000 accounts ($(( runs / 4 + 2 )) turns; load $(load))"
block listjson "$w/tool" interleave -runs "$(( runs / 4 + 2 ))" -warmup 1 -floor "list --json, 1k" -ratios "$ratios" \
  "list --json, 1k|TOKENRING_HOME=$w/h1k $common $w/tokenring list --json" \
  "list --json, 10k|TOKENRING_HOME=$w/h10k $common $w/tokenring list --json"

tui="env -u TOKENRING_PASSPHRASE TOKENRING_KEYRING=file"
step "the TUI through a real pty (80x27: 20 rows), keyring locked: first frame ($frames runs each; load $(load))"
block frame "$w/ptyrec" -q -cols 80 -rows 27 -runs "$frames" -ready "0 accounts" -floor bare -ratios "$ratios" -- \
  "bare|$w/bare -n 1000" "tui 1k|TOKENRING_HOME=$w/h1k $tui $w/tokenring" "tui 10k|TOKENRING_HOME=$w/h10k $tui $w/tokenring"

step "the TUI idle for $idle after its first frame ($idleruns runs each; load $(load)): CPU, bytes to the terminal, memory"
TOKENRING_PASSPHRASE=$pass "$w/seed" -dir "$w/enter" -n 1000 -enter-every 500ms
block idle "$w/ptyrec" -q -cols 80 -rows 27 -runs "$idleruns" -idle "$idle" -ready "0 accounts" -floor bare -ratios "$ratios" -- \
  "bare|$w/bare -n 1000" "idle 1k|TOKENRING_HOME=$w/h1k $tui $w/tokenring" "idle 10k|TOKENRING_HOME=$w/h10k $tui $w/tokenring" \
  "idle entering|TOKENRING_HOME=$w/enter $tui $w/tokenring"

step "storm of 1,000 refreshes against a local OIDC provider ($storms storms; frames = Update+View per message; load $(load))"
block storm sh -c "go test -run '^\$' -bench 'BenchmarkRefreshStorm1000\$' -benchtime 1x -count $storms -timeout 30m ./ui | tee '$w/storm.txt' | '$w/tool' benchmedian"

step "Go benchmarks (median of $count runs; load $(load))"
go test -run '^$' -bench 'BenchmarkListView$|BenchmarkUpdateTick$|BenchmarkFirstFrame1000Locked$' -count "$count" ./ui | "$w/tool" benchmedian
go test -run '^$' -bench 'BenchmarkAccount1000Cold$|BenchmarkAccounts1000Cold$|BenchmarkAccounts1000$|BenchmarkTokenValidFile$' -count "$count" ./accounts | "$w/tool" benchmedian

# ---- the table ----------------------------------------------------------------
r() { # r LABEL FLOOR WHAT: "median (min-max)" of that ratio, or "-"
  awk -F'|' -v l="$1" -v f="$2" -v x="$3" '$1==l && $2==f && $3==x && !found {printf "**%.2fx** (%.2f-%.2f)", $4, $5, $6; found=1} END {if (!found) printf "-"}' "$ratios"
}
m() { # m LABEL FLOOR WHAT UNIT: "ours / the floor's" medians
  awk -F'|' -v l="$1" -v f="$2" -v x="$3" -v u="$4" '$1==l && $2==f && $3==x && !found {printf "%.*f / %.*f %s", (u=="%"?3:1), $7, (u=="%"?3:1), $8, u; found=1} END {if (!found) printf "-"}' "$ratios"
}
ld() { awk -F'|' -v b="$1" '$1==b {printf "%s -> %s", $2, $3}' "$loads"; }
metric() { awk -v k="$1" '/BenchmarkRefreshStorm1000/ {for (i=1;i<NF;i++) if ($(i+1)==k) print $i}' "$w/storm.txt" | sort -n | tail -1; }
of() { # of A B WHAT: A's median / B's median (both measured against bare in one ptyrec run)
  awk -F'|' -v a="$1" -v b="$2" -v x="$3" '$1==a && $3==x {t=$7} $1==b && $3==x {o=$7} END {if (o>0) printf "**%.2fx** (%.1f / %.1f)", t/o, t, o; else printf "-"}' "$ratios"
}
static() { local x; x=$(r "$1" hello wall); [ "$x" = - ] && echo "" || echo "; CGO_ENABLED=0 $x"; }

cat <<EOF

== issue 13's table ($( [ "$quick" = 1 ] && echo "quick mode: " )$runs turns, $frames first frames, $idleruns idle window(s) of $idle; $(nproc) cores; load: 1-, 5-, 15-minute averages before -> after each block)
ratio: the median of the per-turn ratios to the floor (min-max); medians: ours / the floor's

| measure | floor / peer (same run) | target | ratio | medians | load |
| --- | --- | --- | --- | --- | --- |
| start-up: perf/initonly (every package tokenring links, initialised; no command) | Go hello-world | (what no command can go below) | $(r "init only" hello wall) | $(m "init only" hello wall ms) | $(ld process) |
| token, keyctl (no passphrase) | Go hello-world | <= 2.0x | $(r "token, keyctl" hello wall)$(static "token, keyctl, static") | $(m "token, keyctl" hello wall ms) | $(ld process) |
| token through the unlock agent | Go hello-world | <= 1.5x | $(r "token, agent" hello wall)$(static "token, agent, static") | $(m "token, agent" hello wall ms) | $(ld process) |
| token through the unlock agent | oidc-token (oidc-agent) | - | $(r "token, agent" oidc-token wall) | $(m "token, agent" oidc-token wall ms); oidc-token/hello $(r oidc-token hello wall) | $(ld process) |
| token through the unlock agent | gh auth token | - | $(awk -F'|' '$1=="token, agent" && $2=="hello" {a=$7} $1=="gh auth token" && $2=="hello" {g=$7} END {if (g>0) printf "**%.2fx** (of the medians)", a/g; else printf "-"}' "$ratios") | gh/hello $(r "gh auth token" hello wall) | $(ld process) |
| token, file keyring, TOKENRING_PASSPHRASE, no agent | Go hello-world | report (Argon2id on every call, by design) | $(r "token, env passphrase" hello wall) | $(m "token, env passphrase" hello wall ms) | $(ld env) |
| --version | Go hello-world | <= 1.5x | $(r "--version" hello wall)$(static "--version, static") | $(m "--version" hello wall ms) | $(ld process) |
| list, 10 accounts | Go hello-world | <= 1.5x | $(r "list, 10 accounts" hello wall)$(static "list, 10, static") | $(m "list, 10 accounts" hello wall ms) | $(ld process) |
| first frame, 1,000 accounts, locked | bare Bubble Tea, same FPS, same pty | <= 1.3x | $(r "tui 1k" bare ready) | $(m "tui 1k" bare ready ms) | $(ld frame) |
| idle CPU, 1,000 accounts | bare Bubble Tea | <= 1.1x | $(r "idle 1k" bare cpu) | $(m "idle 1k" bare cpu %) of a core | $(ld idle) |
| idle CPU, 10,000 accounts | bare Bubble Tea | <= 1.1x, same as 1k | $(r "idle 10k" bare cpu); 10k/1k $(of "idle 10k" "idle 1k" cpu) | $(m "idle 10k" bare cpu %) of a core | $(ld idle) |
| idle bytes, 20 countdowns | bare: digits + cursor moves + the selected row | <= 1.2x | $(r "idle 1k" bare bytes) | $(m "idle 1k" bare bytes B/s) | $(ld idle) |
| idle bytes, rows entering the refresh window, locked | bare | <= 1.2x | $(r "idle entering" bare bytes) | $(m "idle entering" bare bytes B/s) | $(ld idle) |
| storm of 1,000 refreshes (Update+View per message) | 16 ms frame | < 16 ms, each once | worst frame **$(metric max-frame-ms) ms** wall, $(metric max-frame-cpu-ms) ms of the UI thread's CPU (p99 $(metric p99-frame-ms) ms); $(metric refreshed) refreshed, each once | - | $(ld storm) |
| 10,000 accounts: first frame | the 1k figure | <= 3x | $(of "tui 10k" "tui 1k" ready) ms | 10k/bare $(r "tui 10k" bare ready) | $(ld frame) |
| 10,000 accounts: RSS (VmHWM after the idle window) | - | < 40 MB | **$(awk -F'|' '$1=="idle 10k" && $3=="rss" {printf "%.1f MB", $7}' "$ratios")** | 1k $(awk -F'|' '$1=="idle 1k" && $3=="rss" {printf "%.1f", $7}' "$ratios") MB, bare $(awk -F'|' '$1=="idle 1k" && $3=="rss" {printf "%.1f", $8}' "$ratios") MB | $(ld idle) |
| 10,000 accounts: list --json | the 1k figure | <= 10x | $(r "list --json, 10k" "list --json, 1k" wall) | $(m "list --json, 10k" "list --json, 1k" wall ms) | $(ld listjson) |
EOF
