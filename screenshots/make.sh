#!/usr/bin/env bash
# Regenerates the pictures README.md shows, from the real program, offline:
# builds tokenring and charmbracelet/freeze v0.2.2, runs `tokenring demo` in
# a private tmux server on a dark background, drives it to four screens and
# sizes the window to each screen's content (the program re-renders at that
# size), captures each with `tmux capture-pane -e -p` and renders it to PNG
# with `freeze -l ansi`. Then it records a second demo from its start until
# the first automatic refresh (a capture whenever the screen changes) and
# turns the frames into an animated GIF (freeze for each frame, ffmpeg to
# join them) and an asciinema cast.
#
#   screenshots/make.sh           # {list,wizard,detail,help}.{png,txt}, refresh.{gif,cast}
#   CHECK=1 screenshots/make.sh   # drive the program the same way and compare its screens
#                                 # with the committed .txt (no freeze, no ffmpeg, no recording);
#                                 # exits 1 when a screenshot no longer shows the program
#   KEEP=1 screenshots/make.sh    # also keep the .ansi captures
#   TOKENRING_BIN=path screenshots/make.sh   # use a tokenring you built
#   FREEZE=/path/to/freeze screenshots/make.sh   # use a freeze you built
#
# Needs go, tmux and perl; ffmpeg for the GIF. freeze is built in a temporary
# directory from the Go module cache (`go install ...@v0.2.2` is refused by
# the proxy here); none of its code is kept or committed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/screenshots
check=${CHECK:-}

need() { command -v "$1" >/dev/null || { echo "make.sh: $1 is needed" >&2; exit 1; }; }
need tmux; need go; need perl
[ -n "$check" ] || need ffmpeg

work=$(mktemp -d "${TMPDIR:-/tmp}/tokenring-shots-XXXXXX")
cleanup() {
  for s in "$work"/*.sock; do [ -e "$s" ] && tmux -S "$s" kill-server 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${TOKENRING_BIN:-}" ]; then # a binary the caller built (the test)
  cp "$TOKENRING_BIN" "$work/tokenring"
else
  echo "building tokenring"
  go build -o "$work/tokenring" .
fi

freeze=${FREEZE:-}
if [ -z "$check" ] && [ -z "$freeze" ]; then
  echo "building freeze v0.2.2 (from the module cache, in $work)"
  src=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json github.com/charmbracelet/freeze@v0.2.2 |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$src" ] && [ -d "$src" ] || { echo "make.sh: go mod download gave no freeze directory" >&2; exit 1; }
  cp -R "$src" "$work/freeze-src"
  chmod -R u+w "$work/freeze-src"
  (cd "$work/freeze-src" && go build -o "$work/freeze" .)
  freeze=$work/freeze
fi

# --- the demo in tmux ----------------------------------------------------------

mkdir -m 700 "$work/home" "$work/tmp"
printf '%s\n' 'set -g default-terminal xterm-256color' 'set -g remain-on-exit on' >"$work/tmux.conf"

# start NAME W H: `tokenring demo` in its own tmux server. Only these
# variables reach tokenring (plus TMUX and TERM, which tmux sets): no display
# (so the wizard offers to copy, not to open a browser), no NO_COLOR, a
# throwaway config directory that the demo never touches.
# TERM=xterm-256color with COLORTERM=truecolor gives 24-bit colour, as in a
# terminal that has it (tmux keeps 24-bit colours in the captured cells).
start() {
  env -i PATH="$PATH" HOME="$work/home" TMPDIR="$work/tmp" LANG=C.UTF-8 \
    TOKENRING_HOME="$work/home/tokenring" COLORTERM=truecolor \
    tmux -S "$work/$1.sock" -f "$work/tmux.conf" \
    new-session -d -s "$1" -x "$2" -y "$3" "$work/tokenring" demo
}
tm() { local s=$1; shift; tmux -S "$work/$s.sock" "$@"; }
screen() { tm "$1" capture-pane -p -t "$1"; }
# keys S KEY...: a pause after each, so that an Escape is not read with the
# next key as alt+key
keys() {
  local s=$1 k
  shift
  for k in "$@"; do tm "$s" send-keys -t "$s" "$k"; sleep 0.2; done
}
# wait_for S TEXT: poll the screen until it shows TEXT (at most 20 s).
wait_for() {
  local i
  for i in $(seq 200); do
    if screen "$1" | grep -qF -- "$2"; then return 0; fi
    sleep 0.1
  done
  echo "make.sh: the screen never showed \"$2\"; it shows:" >&2
  screen "$1" >&2
  exit 1
}
# fit S: size the window to what the screen shows: tall first, then as
# many lines as the header, the body (to its last non-blank line), one free
# line and the footer's three (info, toast, keys) take.
fit() {
  tm "$1" resize-window -t "$1" -x 100 -y 60
  settle "$1" 60
  local last
  last=$(screen "$1" | head -n 57 | awk 'NF { n = NR } END { print n }')
  tm "$1" resize-window -t "$1" -x 100 -y $((last + 4))
  settle "$1" $((last + 4))
}
# settle S H: wait until the program has drawn the window at H lines (the
# footer on the last line) and two captures 0.2 s apart agree.
settle() {
  local i a b=""
  for i in $(seq 50); do
    sleep 0.2
    a=$(screen "$1")
    if [ "$a" = "$b" ] && [ "$(printf '%s\n' "$a" | wc -l)" = "$2" ] && printf '%s\n' "$a" | tail -n 1 | grep -q '[a-z]'; then
      return 0
    fi
    b=$a
  done
}

# flatten: tmux's capture changes one attribute at a time (ESC[1m after a
# colour keeps the colour), but freeze v0.2.2 starts every SGR sequence with
# a fresh style, so bold text would lose its colour. This rewrites every SGR
# sequence as the whole current style (bold, which freeze ignores, becomes
# an empty style) and closes a background only when it changes.
flatten() {
  perl -e "$(cat <<'PERL'
use strict; use warnings;
binmode STDIN; binmode STDOUT;
my ($fg, $bg, $ul, $it, $st) = ('', '', 0, 0, 0);
sub fgspan { my @p; push @p, $fg if $fg ne ''; push @p, 4 if $ul; push @p, 3 if $it; push @p, 9 if $st; return @p ? "\e[" . join(';', @p) . "m" : "\e[1m"; }
while (my $line = <STDIN>) {
  $fg = ''; $bg = ''; $ul = $it = $st = 0;  # tmux starts each captured line afresh
  $line =~ s{\e\[([0-9;:]*)m}{
    my @p = length($1) ? split(/[;:]/, $1, -1) : (0);
    my $oldbg = $bg;
    while (@p) {
      my $v = shift @p; $v = 0 if $v eq '';
      if ($v == 0) { ($fg, $bg, $ul, $it, $st) = ('', '', 0, 0, 0) }
      elsif ($v == 3) { $it = 1 } elsif ($v == 4) { $ul = 1 } elsif ($v == 9) { $st = 1 }
      elsif ($v == 23) { $it = 0 } elsif ($v == 24) { $ul = 0 } elsif ($v == 29) { $st = 0 }
      elsif (($v >= 30 && $v <= 37) || ($v >= 90 && $v <= 97)) { $fg = $v }
      elsif ($v == 39) { $fg = '' }
      elsif ($v == 38 || $v == 48) {
        my $m = shift(@p) // 0; my $c;
        if ($m == 5) { $c = "$v;5;" . (shift(@p) // 0) } elsif ($m == 2) { $c = "$v;2;" . join(';', map { shift(@p) // 0 } 1..3) }
        next unless defined $c;
        if ($v == 38) { $fg = $c } else { $bg = $c }
      }
      elsif (($v >= 40 && $v <= 47) || ($v >= 100 && $v <= 107)) { $bg = $v }
      elsif ($v == 49) { $bg = '' }
    }
    my $out = '';
    if ($bg ne $oldbg) { $out .= "\e[0m"; $out .= "\e[${bg}m" if $bg ne '' }
    $out . fgspan();
  }ge;
  print $line;
}
PERL
)"
}
# capture S NAME: the pane as text (NAME.txt) and with its colours (NAME.ansi).
capture() {
  screen "$1" >"$work/$2.txt"
  tm "$1" capture-pane -e -p -N -t "$1" | flatten >"$work/$2.ansi"
}
render() { # render ANSI PNG [RADIUS]
  "$freeze" -l ansi -o "$2" \
    --background '#1a1b26' --window --border.radius "${3:-8}" --padding 20,28 --margin 0 \
    --font.size 9 --line-height 1.25 <"$1" >/dev/null
}
# normalize: what may differ from run to run (digits, random strings, the
# wrapped lines of a URL) out of a text capture.
normalize() {
  perl -pe 's/^ {4,}\S+$/    URL/; s/[A-Za-z0-9_-]{8,}/X/g; s/\d+/0/g; s/[ \t]+$//'
}
failed=0
# shot NAME: keep (or, with CHECK, compare) the capture NAME.
shot() {
  if [ -n "$check" ]; then
    if ! diff -u <(normalize <"$out/$1.txt") <(normalize <"$work/$1.txt") >"$work/$1.diff"; then
      echo "make.sh: screenshots/$1.png no longer shows the program:" >&2
      cat "$work/$1.diff" >&2
      failed=1
    else
      echo "screenshots/$1 is current"
    fi
    return
  fi
  render "$work/$1.ansi" "$out/$1.png"
  chmod 644 "$out/$1.png"
  cp "$work/$1.txt" "$out/$1.txt"
  if [ -n "${KEEP:-}" ]; then cp "$work/$1.ansi" "$out/$1.ansi"; fi
  echo "wrote screenshots/$1.png ($(wc -l <"$out/$1.txt") lines)"
}

# --- four screens ----------------------------------------------------------------

start shots 100 30
wait_for shots "alice-demo"
sleep 2 # let a second tick pass so countdowns are mid-flight
fit shots
capture shots list
shot list

keys shots '?'
wait_for shots "link the account again"
fit shots
capture shots help
shot help
keys shots Escape
wait_for shots "alice-demo"

keys shots /
tm shots send-keys -t shots -l alice
keys shots Enter
wait_for shots "(1 shown)"
keys shots Enter
wait_for shots "Expiry"
fit shots
capture shots detail
shot detail
keys shots Escape
wait_for shots "(1 shown)"
keys shots Escape

keys shots n
wait_for shots "Which provider"
keys shots Enter
wait_for shots "Account name"
tm shots send-keys -t shots -l work-laptop
keys shots Enter
wait_for shots "Open this address"
fit shots
capture shots wizard
shot wizard
keys shots Escape
keys shots q

if [ -n "$check" ]; then
  [ -f "$out/refresh.gif" ] && [ -f "$out/refresh.cast" ] || { echo "make.sh: the recording is missing" >&2; failed=1; }
  exit $failed
fi

# --- the recording: the countdown and an automatic refresh ----------------------
#
# A second demo from its start: a capture whenever the screen changes, with
# its time, until shop-dressipi (75 s tokens, refreshed 30 s before expiry)
# has been refreshed in the background and a few seconds more. The replay
# keeps real time for the first seconds and around the refresh, and runs
# the wait between them 8 times faster.

h=$(wc -l <"$out/list.txt")
start rec 100 "$h"
wait_for rec "alice-demo"
echo "recording until the first automatic refresh (about a minute)"
mkdir "$work/rec"
t0=$(date +%s.%N)
n=0 prev="" refreshed=""
while :; do
  now=$(date +%s.%N)
  t=$(echo "$now - $t0" | bc)
  cur=$(tm rec capture-pane -e -p -N -t rec)
  if [ "$cur" != "$prev" ]; then
    n=$((n + 1))
    printf '%s\n' "$cur" >"$work/rec/$(printf %04d $n).raw"
    echo "$t" >"$work/rec/$(printf %04d $n).t"
    prev=$cur
  fi
  if [ -z "$refreshed" ] && screen rec | grep -E '^. shop-dressipi .*(now|[0-9]+s ago) *$' >/dev/null; then
    refreshed=$t
    echo "shop-dressipi refreshed itself at ${t%.*} s"
  fi
  if [ -n "$refreshed" ] && [ "$(echo "$t > $refreshed + 5" | bc)" = 1 ]; then break; fi
  if [ "$(echo "$t > 120" | bc)" = 1 ]; then echo "make.sh: no automatic refresh within 120 s" >&2; exit 1; fi
  sleep 0.1
done
keys rec q

# times: real for the first 6 s and from 4 s before the refresh; 8x between
slow_a=6
slow_b=$(echo "$refreshed - 4" | bc)
: >"$work/frames.txt"
cast=$out/refresh.cast
printf '{"version": 2, "width": 100, "height": %d, "env": {"TERM": "xterm-256color", "SHELL": "/bin/sh"}, "title": "tokenring demo: countdowns and an automatic refresh (the wait in the middle runs 8x)"}\n' "$h" >"$cast"
for raw in "$work"/rec/*.raw; do
  f=${raw%.raw}
  t=$(cat "$f.t")
  tt=$(echo "if ($t < $slow_a) $t else if ($t < $slow_b) $slow_a + ($t - $slow_a) / 8 else $slow_a + ($slow_b - $slow_a) / 8 + $t - $slow_b" | bc -l)
  echo "$tt $f" >>"$work/frames.txt"
  perl -e '
    local $/; my $s = <STDIN>; $s =~ s/\n$//; $s =~ s/\n/\r\n/g; $s = "\e[H\e[2J" . $s;
    $s =~ s/(["\\])/\\$1/g; $s =~ s/([\x00-\x1f])/sprintf("\\u%04x", ord $1)/ge;
    printf "[%.3f, \"o\", \"%s\"]\n", $ARGV[0], $s;' "$tt" <"$raw" >>"$cast"
  flatten <"$raw" >"$f.ansi"
  render "$f.ansi" "$f.png" 0 # square: no transparent corners, so that the GIF stores only what changed
done
# ffmpeg's concat list: each frame for as long as it showed (the last 3 s)
awk 'NR > 1 { printf "file '\''%s.png'\''\nduration %.3f\n", f, $1 - t } { t = $1; f = $2 }
     END { printf "file '\''%s.png'\''\nduration 3\nfile '\''%s.png'\''\n", f, f }' "$work/frames.txt" >"$work/concat.txt"
ffmpeg -loglevel error -y -f concat -safe 0 -i "$work/concat.txt" \
  -vf "format=rgb24,scale=1000:-1:flags=lanczos,split[a][b];[a]palettegen=stats_mode=diff:reserve_transparent=0[p];[b][p]paletteuse=dither=none:diff_mode=rectangle" \
  -loop 0 "$out/refresh.gif"
chmod 644 "$out/refresh.gif" "$cast"
echo "wrote screenshots/refresh.gif and refresh.cast ($n frames)"
