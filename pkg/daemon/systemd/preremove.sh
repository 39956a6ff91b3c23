#!/bin/sh
# Before removing the package (not before an upgrade): stop apikeyd and
# its socket. The database in /var/lib/apikeyd is kept.
set -e
case "$1" in
remove | purge | 0)
	if [ -d /run/systemd/system ]; then
		systemctl disable --now apikeyd.socket apikeyd.service >/dev/null 2>&1 || true
	fi
	;;
esac
