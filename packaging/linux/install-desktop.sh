#!/bin/sh
# Install HumanAes Desktop's menu entry, AppStream metadata and icons under PREFIX/share
# (default: ~/.local), the freedesktop way (hicolor icons, share/applications, share/metainfo).
#
#   From an unpacked bundle:  ./install-desktop.sh [PREFIX]
#       also links PREFIX/bin/humanaes-desktop and PREFIX/bin/humanaes to the bundle's programs.
#   From the repository:      make install-desktop PREFIX=DIR [APP_DIR=DIR]
#
# APP_DIR: a folder holding the humanaes-desktop and humanaes programs to link into PREFIX/bin
# (default: this script's folder inside a bundle; empty: link nothing). The menu entry starts
# `humanaes-desktop` from PATH and stays hidden until that command exists (TryExec).
set -eu

app_id=io.github.humanaes.HumanAesDesktop
here=$(cd "$(dirname "$0")" && pwd)
prefix=${1:-"$HOME/.local"}

if [ -f "$here/share/applications/$app_id.desktop" ]; then  # an unpacked bundle
  share=$here/share
  desktop=$share/applications/$app_id.desktop
  metainfo=$share/metainfo/$app_id.metainfo.xml
  svg=$share/icons/hicolor/scalable/apps/$app_id.svg
  pngs=$share/icons/hicolor
  [ -n "${APP_DIR+set}" ] || APP_DIR=$here
else  # the repository: packaging/linux
  desktop=$here/$app_id.desktop
  metainfo=$here/$app_id.metainfo.xml
  svg=$here/../../humanaes_desktop/resources/humanaes.svg
  pngs=$here/icons/hicolor
fi

install -Dm644 "$desktop" "$prefix/share/applications/$app_id.desktop"
install -Dm644 "$metainfo" "$prefix/share/metainfo/$app_id.metainfo.xml"
install -Dm644 "$svg" "$prefix/share/icons/hicolor/scalable/apps/$app_id.svg"
for size in 48 128 256; do
  icon=${size}x${size}/apps/$app_id.png
  install -Dm644 "$pngs/$icon" "$prefix/share/icons/hicolor/$icon"
done
echo "installed the menu entry, metadata and icons of $app_id under $prefix/share"

if [ -n "${APP_DIR:-}" ]; then
  mkdir -p "$prefix/bin"
  for program in humanaes-desktop humanaes; do
    [ -x "$APP_DIR/$program" ] || { echo "install-desktop: no program $APP_DIR/$program" >&2; exit 2; }
    ln -sfn "$APP_DIR/$program" "$prefix/bin/$program"
  done
  echo "linked $prefix/bin/humanaes-desktop and $prefix/bin/humanaes to $APP_DIR"
  case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "note: $prefix/bin is not on your PATH; the menu entry appears once it is" ;;
  esac
fi

# The MIME cache lets file managers offer "Open with HumanAes Desktop"; optional.
if command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$prefix/share/applications" ||
    echo "note: update-desktop-database failed; file managers may not offer the app yet" >&2
fi
