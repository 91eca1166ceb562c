#!/usr/bin/env bash
# Issue 8: the account files (accounts/NAME.json) against the one
# accounts.json of commit ffd1981 (OLD=rev for another), in the same run:
# both binaries built here, both homes seeded by perf/seed (-layout index for
# the old one) with 10 and 1,000 accounts, then `token perf-token` and
# `list --json` timed with hyperfine in alternating blocks (old, new, new,
# old, ...: the machine's load drifts, so neither gets the quieter half), then
# run by run (tool interleave: wall and CPU time, per-turn ratios), and the
# accounts benchmarks of both commits, alternating one -count at a time.
# Prints medians with min-max and new/old ratios. About 8 minutes on 2 cores
# (ROUNDS=10). Not part of .ci/run.
#
#   bash perf/layout.sh          # needs git, go, hyperfine (apt-get install -y hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
old=${OLD:-ffd1981}
rounds=${ROUNDS:-10}

if ! command -v hyperfine >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -qq hyperfine >/dev/null
  else
    echo "perf/layout.sh needs hyperfine: apt-get install -y hyperfine" >&2
    exit 1
  fi
fi

w=$(mktemp -d)
trap 'git worktree remove --force "$w/src" >/dev/null 2>&1 || true; rm -rf "$w"' EXIT
step() { printf '\n== %s\n' "$*"; }

step "build: $old and this tree"
git worktree add --detach -q "$w/src" "$old"
(cd "$w/src" && go build -o "$w/old" . && go test -c -o "$w/old-accounts.test" ./accounts)
go build -o "$w/new" .
go test -c -o "$w/new-accounts.test" ./accounts
go build -o "$w/seed" ./perf/seed
go build -o "$w/tool" ./perf/tool
echo "$(nproc) cores; $(go version)"

step "seed: 10 and 1,000 accounts, old layout (accounts.json) and new (accounts/)"
pass="perf-$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')"
for n in 10 1000; do
  TOKENRING_PASSPHRASE=$pass "$w/seed" -dir "$w/old-$n" -n "$n" -layout index
  TOKENRING_PASSPHRASE=$pass "$w/seed" -dir "$w/new-$n" -n "$n"
  echo "$n accounts: accounts.json $(stat -c %s "$w/old-$n/accounts.json") bytes;" \
    "accounts/ $(ls "$w/new-$n/accounts" | wc -l) files, $(du -b -s "$w/new-$n/accounts" | cut -f1) bytes of content," \
    "$(du -k -s "$w/new-$n/accounts" | cut -f1) KB on disk"
done

# time LABEL HOME RUNS CMD... : one hyperfine block of CMD with TOKENRING_HOME=HOME
time_block() {
  local label=$1 home=$2 runs=$3 out=$4
  shift 4
  TOKENRING_HOME=$home TOKENRING_KEYRING=file TOKENRING_PASSPHRASE=$pass \
    hyperfine -N --warmup 3 --runs "$runs" --style none --export-json "$out" -n "$label" "$*" >/dev/null
}

step "whole process, $rounds rounds of alternating blocks"
for r in $(seq "$rounds"); do
  for n in 10 1000; do
    runs=20
    [ "$n" = 1000 ] && runs=10
    order="old new"
    [ $((r % 2)) = 0 ] && order="new old"
    for v in $order; do
      time_block "$v token ($n accounts)" "$w/$v-$n" 20 "$w/$r-$v-token-$n.json" "$w/$v" token perf-token
      time_block "$v list --json ($n accounts)" "$w/$v-$n" "$runs" "$w/$r-$v-list-$n.json" "$w/$v" list --json
    done
  done
  time_block "floor: a Go process printing a line" "$w/new-10" 20 "$w/$r-hello.json" "$w/tool" hello
done
"$w/tool" hyperfine -pair "old ,new " "$w"/[0-9]*.json # rounds in the same order for every command

step "whole process, turn by turn (old, new, old, new, ...): wall and CPU time"
envs="TOKENRING_KEYRING=file TOKENRING_PASSPHRASE=$pass"
for n in 10 1000; do
  echo "$n accounts:"
  "$w/tool" interleave -runs "$((rounds * 10))" -pair "old ,new " \
    "old token|TOKENRING_HOME=$w/old-$n $envs $w/old token perf-token" \
    "new token|TOKENRING_HOME=$w/new-$n $envs $w/new token perf-token" \
    "old list --json|TOKENRING_HOME=$w/old-$n $envs $w/old list --json" \
    "new list --json|TOKENRING_HOME=$w/new-$n $envs $w/new list --json" \
    "floor: a Go process printing a line|$w/tool hello"
done

step "Go benchmarks in accounts, alternating old and new, $rounds runs each"
for r in $(seq "$rounds"); do
  for v in old new; do
    (cd accounts && "$w/$v-accounts.test" -test.run '^$' -test.bench 'BenchmarkAccount1000Cold$|BenchmarkAccounts1000Cold$|BenchmarkAccounts1000$|BenchmarkTokenValidFile$|BenchmarkRefreshFile$' -test.count 1) >>"$w/bench-$v.txt"
  done
done
for v in old new; do
  echo "$v ($([ $v = old ] && echo "$old" || echo "this tree")):"
  "$w/tool" benchmedian <"$w/bench-$v.txt"
done
