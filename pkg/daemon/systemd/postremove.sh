#!/bin/sh
# After removing the package: let systemd forget the units.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
