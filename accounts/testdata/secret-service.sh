#!/bin/sh
# Runs the accounts tests that need D-Bus (CI calls this; it also works by
# hand). Needs, on Debian/Ubuntu (.ci/run installs the ci-packages line):
#   apt-get install -y --no-install-recommends gnome-keyring libsecret-tools dbus
# ci-packages: gnome-keyring libsecret-tools dbus keyutils
#
#  1. a real Secret Service: gnome-keyring inside dbus-run-session, HOME and
#     XDG_RUNTIME_DIR in fresh 0700 temp dirs, the "login" collection
#     unlocked with a throwaway password (TestSecretService);
#  2. a session bus with no Secret Service that cannot start one
#     (bare-session.conf has no service directories), plus a fake Secret
#     Service that never answers (TestSecretServiceAbsent/Silent);
#  3. the kernel keyring where the kernel allows it (TestKeyctl).
# gnome-keyring-daemon exits with its session bus when dbus-run-session ends.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/home" "$tmp/run"

cd "$root"
go test -c -o "$tmp/accounts.test" ./accounts

echo "== real Secret Service (gnome-keyring)"
HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/run" dbus-run-session -- sh -c '
	set -eu
	printf %s tokenring-ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null
	TOKENRING_TEST_SECRET_SERVICE=1 exec "$1" -test.run "^TestSecretService$" -test.v -test.count=1
' sh "$tmp/accounts.test"

echo "== bus without a Secret Service, and one that never answers"
HOME="$tmp/home" XDG_RUNTIME_DIR="$tmp/run" dbus-run-session --config-file="$here/bare-session.conf" -- \
	env TOKENRING_TEST_SECRET_SERVICE=bare "$tmp/accounts.test" -test.run '^TestSecretService(Absent|Silent)$' -test.v -test.count=1

echo "== kernel keyring"
"$tmp/accounts.test" -test.run '^TestKeyctl$' -test.v -test.count=1
