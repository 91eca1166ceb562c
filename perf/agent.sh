#!/usr/bin/env bash
# Issue 10: `tokenring token NAME` through the unlock agent, as a whole
# process, in one run beside its floor and its peers, interleaved turn by
# turn (tool interleave: A B C ... A B C ...), medians with min-max and each
# command's ratio to a Go hello-world binary turn by turn:
#
#   hello             a Go binary printing a line (the floor; target: agent <= 1.5x)
#   agent             tokenring token through a running, unlocked agent (go build as is)
#   agent, static     the same binary built with CGO_ENABLED=0 (no dynamic loader, no libc)
#   gh auth token     Debian's gh, a fake token in GH_CONFIG_DIR
#   env, argon2id     no agent, TOKENRING_PASSPHRASE: this tree derives the key
#                     (Argon2id, the default costs) on every call, by design
#   env, 52d8290      the same with the tokenring of commit 52d8290 (before
#                     issue 10: the passphrase went to PBKDF2 only), its own seed
#
# perf/run.sh has the agent rows of issue 13 (beside initonly and oidc-token);
# this compares with commit 52d8290: bash perf/agent.sh (RUNS=60 by default; the
# Argon2id command takes ~0.4 s a run). Needs git, go, gh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
runs=${RUNS:-60}
old=${OLD:-52d8290}

w=$(mktemp -d)
cleanup() {
  for h in "$w/home" "$w/home-static"; do
    [ -d "$h" ] && TOKENRING_HOME=$h XDG_RUNTIME_DIR=$w/rt "$w/tokenring" lock >/dev/null 2>&1 || true
  done
  git worktree remove --force "$w/src" >/dev/null 2>&1 || true
  rm -rf "$w"
}
trap cleanup EXIT

echo "build: this tree (as go build makes it, and CGO_ENABLED=0), $old, the floor"
go build -o "$w/tokenring" .
CGO_ENABLED=0 go build -o "$w/tokenring-static" .
go build -o "$w/seed" ./perf/seed
go build -o "$w/tool" ./perf/tool
git worktree add --detach -q "$w/src" "$old"
(cd "$w/src" && go build -o "$w/old" . && go build -o "$w/old-seed" ./perf/seed)
ls -l "$w/tokenring" "$w/tokenring-static" | awk '{printf "  %s: %.1f MB\n", $NF, $5/1048576}'
file "$w/tokenring" | grep -q 'dynamically linked' && echo "  (go build links tokenring dynamically: net and os/user use cgo)"

pass="perf-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -m 700 "$w/rt"
for h in home home-static home-env; do
  TOKENRING_PASSPHRASE=$pass "$w/seed" -dir "$w/$h" -n 10
done
TOKENRING_PASSPHRASE=$pass "$w/old-seed" -dir "$w/home-old" -n 10
mkdir -p "$w/gh"
printf 'github.com:\n    oauth_token: gho_perfFakeToken0123456789abcdefghijkl\n    user: perf\n    git_protocol: https\n' > "$w/gh/hosts.yml"

common="TOKENRING_KEYRING=file XDG_RUNTIME_DIR=$w/rt"
env TOKENRING_HOME="$w/home" TOKENRING_KEYRING=file XDG_RUNTIME_DIR="$w/rt" TOKENRING_PASSPHRASE=$pass "$w/tokenring" unlock >/dev/null
env TOKENRING_HOME="$w/home-static" TOKENRING_KEYRING=file XDG_RUNTIME_DIR="$w/rt" TOKENRING_PASSPHRASE=$pass "$w/tokenring-static" unlock >/dev/null
for b in tokenring tokenring-static; do # the agent answers, and the answer is the token
  h=home; [ $b = tokenring-static ] && h=home-static
  got=$(env TOKENRING_HOME="$w/$h" $common "$w/$b" token perf-token)
  [ "$got" = perf-access-token-0123456789abcdefghijklmnopqrstuvwxyz ] || { echo "agent: wrong token" >&2; exit 1; }
done
echo "$(nproc) cores; $(go version); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "whole process, $runs turns (wall time; the ratio is per turn, to hello):"
"$w/tool" interleave -runs "$runs" -warmup 5 -floor hello \
  "hello|$w/tool hello" \
  "agent|TOKENRING_HOME=$w/home $common $w/tokenring token perf-token" \
  "agent, static|TOKENRING_HOME=$w/home-static $common $w/tokenring-static token perf-token" \
  "gh auth token|GH_CONFIG_DIR=$w/gh GH_NO_UPDATE_NOTIFIER=1 GH_PROMPT_DISABLED=1 gh auth token" \
  "env, argon2id|TOKENRING_HOME=$w/home-env $common TOKENRING_PASSPHRASE=$pass $w/tokenring token perf-token" \
  "env, $old|TOKENRING_HOME=$w/home-old $common TOKENRING_PASSPHRASE=$pass $w/old token perf-token"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
