#!/usr/bin/env bash
# The libgpiod this machine does not have, from Debian's own packages, beside the system's: 2.x (libgpiod.so.3, the
# v2 API) from the suite trixie (or FLOORLINK_GPIOD2_SUITE, e.g. bookworm-backports) on a Debian 12 machine, 1.6
# (libgpiod.so.2, the v1 API) from bookworm (or FLOORLINK_GPIOD1_SUITE) on a Debian 13 one. A private apt state
# whose one source is this machine's Debian mirror (read from its apt sources, never written here);
# `apt-get download` the runtime and -dev packages and `dpkg -x` them into a prefix under
# ${XDG_CACHE_HOME:-~/.cache}/floorlink-vm/. Nothing is installed on the system.
#
#   Tests/VM/libgpiod.sh 1|2     prints the prefix of that API's libgpiod (fetching first if it is not there yet)
#
# In the prefix: usr/lib/<triplet>/libgpiod.so.{2,3}* and usr/include/gpiod.h. The VM runner copies the library into
# the initramfs; Tests/CGPIODCheck/run compiles the declaration check against the header.
set -euo pipefail

api=${1:-}
case "$api" in
1) suite=${FLOORLINK_GPIOD1_SUITE:-bookworm} runtime=libgpiod2 soname=libgpiod.so.2 ;;
2) suite=${FLOORLINK_GPIOD2_SUITE:-trixie} runtime=libgpiod3 soname=libgpiod.so.3 ;;
*) echo "usage: Tests/VM/libgpiod.sh 1|2 (the libgpiod API to fetch)" >&2; exit 64 ;;
esac
cache=${XDG_CACHE_HOME:-$HOME/.cache}/floorlink-vm
prefix="$cache/libgpiod$api-$suite-$(dpkg --print-architecture)"
if [ -f "$prefix/.complete" ]; then echo "$prefix"; exit 0; fi

# The machine's Debian mirror: the URIs of the first deb822 stanza (or one-line entry) that serves the plain suite
# (not -security, not -updates).
mirror=""
for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    mirror=$(awk '
        found != "" { next }
        /^[ \t]*$/ { if (uris != "" && plain) found = uris; uris = ""; plain = 0; next }
        /^URIs:/ { uris = $2 }
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i !~ /-/) plain = 1 }
        END { if (found == "" && uris != "" && plain) found = uris; print found }
    ' "$file")
    [ -n "$mirror" ] && break
done
if [ -z "$mirror" ]; then
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$file" ] || continue
        mirror=$(awk '
            found == "" && $1 == "deb" && $3 !~ /-/ {
                for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { found = $i; break }
            }
            END { print found }
        ' "$file")
        [ -n "$mirror" ] && break
    done
fi
[ -n "$mirror" ] || { echo "libgpiod.sh: no Debian source in /etc/apt/sources.list{,.d/}" >&2; exit 1; }

state=$(mktemp -d "${TMPDIR:-/tmp}/floorlink-apt.XXXXXX")
trap 'rm -rf "$state"' EXIT
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/etc/preferences.d" "$state/download"
: >"$state/status" # nothing installed: the suite's own version is the candidate, even below the system's
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$keyring] $mirror $suite main" >"$state/etc/sources.list"
apt_options=(
    -o "Dir::Etc::SourceList=$state/etc/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::Etc::PreferencesParts=$state/etc/preferences.d" -o "Dir::State::Lists=$state/lists"
    -o "Dir::Cache=$state/cache" -o "Dir::State::status=$state/status" -o "APT::Sandbox::User=root"
    -o "Acquire::Languages=none"
)
echo "libgpiod.sh: fetching $runtime ($soname) from $suite into $prefix" >&2
apt-get "${apt_options[@]}" -qq update >&2
(cd "$state/download" && apt-get "${apt_options[@]}" -qq download "$runtime" libgpiod-dev >&2)
rm -rf "$prefix"
mkdir -p "$prefix"
for package in "$state"/download/*.deb; do dpkg -x "$package" "$prefix"; done
ls "$prefix"/usr/lib/*/"$soname"* >/dev/null && [ -f "$prefix/usr/include/gpiod.h" ] \
    || { echo "libgpiod.sh: the packages held no $soname or gpiod.h" >&2; exit 1; }
touch "$prefix/.complete"
echo "$prefix"
