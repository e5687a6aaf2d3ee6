#!/usr/bin/env bash
# Installs the Debian packages huikuan needs, only those missing (apt-get needs root; CI runs as root).
#   gettext              msgfmt, to compile the zh-Hans/English message catalogues
#   fonts-wqy-microhei   the Chinese font embedded in PDF letters (and shown in browser tests)
#   chromium, chromium-driver   the real browser the UI tests drive through Playwright
#   poppler-utils        pdftoppm/pdftotext/pdffonts: the letter tests read the PDFs like a person would
#   libpango-1.0-0, libpangoft2-1.0-0   text layout for WeasyPrint (HTML/CSS letters to PDF)
set -euo pipefail
packages=(gettext fonts-wqy-microhei chromium chromium-driver poppler-utils libpango-1.0-0 libpangoft2-1.0-0)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
