#!/usr/bin/env bash
# libgpiod 2.x (libgpiod.so.3, the v2 API) beside the system's 1.6, from Debian's own packages: a private apt state
# whose one source is this machine's Debian mirror (read from its apt sources, never written here) with the suite
# trixie (or FLOORLINK_GPIOD2_SUITE, e.g. bookworm-backports); `apt-get download` the runtime and -dev packages and
# `dpkg -x` them into a prefix under ${XDG_CACHE_HOME:-~/.cache}/floorlink-vm/. Nothing is installed on the system.
#
#   Tests/VM/libgpiod2.sh        prints the prefix (fetching first if it is not there yet)
#
# In the prefix: usr/lib/<triplet>/libgpiod.so.3* and usr/include/gpiod.h. The VM runner copies the library into
# the initramfs; CI compiles the declaration check (Sources/CGPIOD/check) against the header.
set -euo pipefail

suite=${FLOORLINK_GPIOD2_SUITE:-trixie}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/floorlink-vm
prefix="$cache/libgpiod2-$suite-$(dpkg --print-architecture)"
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
[ -n "$mirror" ] || { echo "libgpiod2.sh: no Debian source in /etc/apt/sources.list{,.d/}" >&2; exit 1; }

state=$(mktemp -d "${TMPDIR:-/tmp}/floorlink-apt.XXXXXX")
trap 'rm -rf "$state"' EXIT
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/etc/preferences.d" "$state/download"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$keyring] $mirror $suite main" >"$state/etc/sources.list"
apt_options=(
    -o "Dir::Etc::SourceList=$state/etc/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::Etc::PreferencesParts=$state/etc/preferences.d" -o "Dir::State::Lists=$state/lists"
    -o "Dir::Cache=$state/cache" -o "Dir::State::status=/var/lib/dpkg/status" -o "APT::Sandbox::User=root"
    -o "Acquire::Languages=none"
)
echo "libgpiod2.sh: fetching libgpiod 2.x from $suite into $prefix" >&2
apt-get "${apt_options[@]}" -qq update >&2
runtime=libgpiod3
(cd "$state/download" && apt-get "${apt_options[@]}" -qq download "$runtime" libgpiod-dev >&2)
rm -rf "$prefix"
mkdir -p "$prefix"
for package in "$state"/download/*.deb; do dpkg -x "$package" "$prefix"; done
ls "$prefix"/usr/lib/*/libgpiod.so.3* >/dev/null && [ -f "$prefix/usr/include/gpiod.h" ] \
    || { echo "libgpiod2.sh: the packages held no libgpiod.so.3 or gpiod.h" >&2; exit 1; }
touch "$prefix/.complete"
echo "$prefix"
