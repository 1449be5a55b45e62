#!/bin/sh
# Checks deploy/prometheus with the real promtool: the configuration, the
# alerting rules and their unit tests. Exit 77 (CTest: skipped) when
# promtool is not installed (scripts/install_deps.sh installs it).
set -eu
dir="$1/deploy/prometheus"
if ! command -v promtool >/dev/null 2>&1; then
  echo "SKIPPED: promtool not installed (Debian package prometheus)"
  exit 77
fi
promtool check config "$dir/prometheus.yml"
promtool check rules "$dir/rules/edgenas_alerts.yml"
cd "$dir/rules" && promtool test rules edgenas_alerts_test.yml
