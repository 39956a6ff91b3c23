#!/bin/sh
# After installing or upgrading the package: create the apikeyd user and
# the socket directory, and make systemd read the units. The socket is
# enabled and started by the administrator:
#   systemctl enable --now apikeyd.socket
set -e
if command -v systemd-sysusers >/dev/null 2>&1; then
	systemd-sysusers apikeyd.conf
fi
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	systemd-tmpfiles --create apikeyd.conf
fi
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload
fi
