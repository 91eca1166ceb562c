#!/usr/bin/env bash
# Regenerates the PNG screenshots README.md shows, from the real program:
# builds tokenring and charmbracelet/freeze v0.2.2, runs `tokenring demo` in a
# private tmux server at 100x30 on a dark background, drives it to four
# screens, captures each with `tmux capture-pane -e -p` (text with colours)
# and renders the captures to PNG with `freeze -l ansi` (offline).
#
#   screenshots/make.sh            # writes screenshots/{list,wizard,detail,help}.png
#   KEEP=1 screenshots/make.sh     # also keeps the .ansi captures beside them
#   FREEZE=/path/to/freeze screenshots/make.sh   # use a freeze you built
#
# Needs go and tmux. freeze is built in a temporary directory from the Go
# module cache (`go install ...@v0.2.2` is refused by the proxy here); none of
# its code is kept or committed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
out=$root/screenshots

command -v tmux >/dev/null || { echo "make.sh: tmux is needed" >&2; exit 1; }
command -v go >/dev/null || { echo "make.sh: go is needed" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/tokenring-shots-XXXXXX")
sock=$work/tmux.sock
cleanup() {
  tmux -S "$sock" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "building tokenring"
go build -o "$work/tokenring" .

freeze=${FREEZE:-}
if [ -z "$freeze" ]; then
  echo "building freeze v0.2.2 (from the module cache, in $work)"
  src=$(cd "$work" && GOFLAGS=-mod=mod go mod download -json github.com/charmbracelet/freeze@v0.2.2 |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$src" ] && [ -d "$src" ] || { echo "make.sh: go mod download gave no freeze directory" >&2; exit 1; }
  cp -R "$src" "$work/freeze-src"
  chmod -R u+w "$work/freeze-src"
  (cd "$work/freeze-src" && go build -o "$work/freeze" .)
  freeze=$work/freeze
fi

# --- drive the demo ----------------------------------------------------------

mkdir -m 700 "$work/home" "$work/tmp"
printf '%s\n' 'set -g default-terminal xterm-256color' 'set -g remain-on-exit on' >"$work/tmux.conf"
# Only these variables reach tokenring (plus TMUX and TERM, which tmux sets):
# no display (so the wizard offers to copy, not to open a browser), no
# NO_COLOR, a throwaway config directory that the demo never touches.
# TERM=xterm-256color with COLORTERM=truecolor gives 24-bit colour, as in a
# terminal that has it (tmux keeps 24-bit colours in the captured cells);
# under TERM=tmux-256color with no client attached, tokenring would use the
# 256-colour palette.
env -i PATH="$PATH" HOME="$work/home" TMPDIR="$work/tmp" LANG=C.UTF-8 \
  TOKENRING_HOME="$work/home/tokenring" COLORTERM=truecolor \
  tmux -S "$sock" -f "$work/tmux.conf" \
  new-session -d -s shots -x 100 -y 30 "$work/tokenring" demo

screen() { tmux -S "$sock" capture-pane -p -t shots; }
keys() { tmux -S "$sock" send-keys -t shots "$@"; }
# wait_for TEXT: poll the screen until it shows TEXT (at most 20 s).
wait_for() {
  local i
  for i in $(seq 200); do
    if screen | grep -qF -- "$1"; then return 0; fi
    sleep 0.1
  done
  echo "make.sh: the screen never showed \"$1\"; it shows:" >&2
  screen >&2
  exit 1
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
# shoot NAME: capture the pane with its colours and render NAME.png.
shoot() {
  sleep 0.3 # let the last frame land
  tmux -S "$sock" capture-pane -e -p -N -t shots | flatten >"$work/$1.ansi"
  "$freeze" -l ansi -o "$out/$1.png" \
    --background '#1a1b26' --window --border.radius 8 --padding 20,28 --margin 0 \
    --font.size 9 --line-height 1.25 <"$work/$1.ansi" >/dev/null
  chmod 644 "$out/$1.png"
  if [ -n "${KEEP:-}" ]; then cp "$work/$1.ansi" "$out/$1.ansi"; fi
  echo "wrote screenshots/$1.png"
}

wait_for "alice-demo"
sleep 2 # let a second tick pass so countdowns are mid-flight
shoot list

keys '?'
wait_for "link selected again"
shoot help
keys Escape
wait_for "alice-demo"

keys /
keys -l alice
keys Enter
wait_for "(1 shown)"
keys Enter
wait_for "Expiry"
shoot detail
keys Escape
wait_for "(1 shown)"

keys l
wait_for "Which provider"
keys Enter
wait_for "Account name"
keys -l work-laptop
keys Enter
wait_for "Open this address"
shoot wizard

keys Escape
keys q
