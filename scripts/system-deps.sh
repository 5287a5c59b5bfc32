#!/usr/bin/env bash
# Installs the Debian packages the tests use when missing: a real OpenSSH server, a real Chromium, and the
# main server's writers and readers (MariaDB and its mysqldump, PHP with mysqli and DOM, Mono's DataSet, PostgreSQL's
# xmltable), libusb for USB printers.
set -euo pipefail
missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server mariadb-client)
[ -x /usr/bin/php ] && php -m 2>/dev/null | grep -q mysqli && php -m | grep -q dom || missing+=(php-cli php-xml php-mysql)
[ -x /usr/bin/mcs ] && ls /usr/lib/mono/4.5/System.Data.dll >/dev/null 2>&1 || \
  missing+=(mono-mcs libmono-system-data4.0-cil libmono-system-xml4.0-cil)
[ -x /usr/bin/faketime ] || missing+=(faketime)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)  # a main server reading lots
compgen -G '/usr/lib/*/libusb-1.0.so.0' >/dev/null || missing+=(libusb-1.0-0)  # USB receipt printers (pyusb's backend)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1; then
  sudo="sudo"
else
  echo "Paquets manquants : ${missing[*]}. Installez-les (apt-get install ${missing[*]}) puis relancez make test." >&2
  exit 1
fi
echo "Installation des paquets Debian : ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
