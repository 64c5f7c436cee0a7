# The checks of an installed and of a purged floorlink package, and the daemon started as its unit starts it, shared
# by Tests/Package/run (on this machine) and Tests/Arm64/run (in its arm64 root, through chroot and qemu-user). Sourced,
# never run; each function works on the system it runs in and reports through the caller's `fail MESSAGE` (which must
# exit). bash, with the tools of a minbase Debian root: dpkg, getent, id, stat, tar, setpriv (util-linux).

# After `dpkg -i` of VERSION: the package's state, `dpkg --verify`, the one conffile, the floorlink system user with
# its home, shell and groups, /var/lib/floorlink, the installed files and the unit enabled (the multi-user.target.wants
# link deb-systemd-helper makes). Prints "uid UID; groups GROUPS" on success.
package_check_installed() { # $1: the version
    local passwd uid home shell groups group file
    [ "$(dpkg-query -W -f='${db:Status-Status} ${Version}' floorlink)" = "installed $1" ] \
        || fail "dpkg-query does not show floorlink $1 installed"
    [ -z "$(dpkg --verify floorlink)" ] || fail "dpkg --verify floorlink: $(dpkg --verify floorlink)"
    [ "$(dpkg-query -W -f='${Conffiles}' floorlink | awk '{ print $1 }')" = /etc/floorlink/site.json ] \
        || fail "the conffiles are not exactly /etc/floorlink/site.json"
    passwd=$(getent passwd floorlink) || fail "no floorlink user"
    IFS=: read -r _ _ uid _ _ home shell <<<"$passwd"
    [ "$uid" -lt 1000 ] || fail "floorlink is not a system user (uid $uid)"
    [ "$home" = /var/lib/floorlink ] && [ "$shell" = /usr/sbin/nologin ] || fail "floorlink's home $home, shell $shell"
    groups=$(id -nG floorlink)
    for group in floorlink gpio dialout; do
        [[ " $groups " == *" $group "* ]] || fail "floorlink is not in group $group ($groups)"
    done
    [ "$(stat -c '%U:%G %a' /var/lib/floorlink)" = "floorlink:floorlink 750" ] \
        || fail "/var/lib/floorlink is $(stat -c '%U:%G %a' /var/lib/floorlink), expected floorlink:floorlink 750"
    for file in /usr/bin/floorlinkd /usr/bin/floorctl /etc/floorlink/site.json \
        /usr/lib/systemd/system/floorlinkd.service /usr/lib/udev/rules.d/99-floorlink.rules \
        /usr/share/floorlink/hal/boards/raspberry-pi-5.json /usr/share/floorlink/hal/sites/demo.json \
        /usr/share/doc/floorlink/copyright /usr/share/man/man8/floorlinkd.8.gz; do
        [ -f "$file" ] || fail "$file was not installed"
    done
    # deb-systemd-helper links to /lib/systemd/system/… where that path finds the unit (merged /usr: /lib is usr/lib).
    case "$(readlink /etc/systemd/system/multi-user.target.wants/floorlinkd.service)" in
    /lib/systemd/system/floorlinkd.service | /usr/lib/systemd/system/floorlinkd.service) ;;
    *) fail "floorlinkd.service is not enabled (no multi-user.target.wants link)" ;;
    esac
    echo "uid $uid; groups $groups"
}

# The demo site with the installed paths (data in /var/lib/floorlink, the socket in /run/floorlink) written as
# /etc/floorlink/site.json: a config the installed daemon runs. Without the demo's MQTT uplink: no broker runs on
# 127.0.0.1:1883 here, and doctor rightly fails an uplink it cannot reach.
package_write_demo_config() {
    sed -e 's|"dataDir": ".floorlink-demo"|"dataDir": "/var/lib/floorlink"|' \
        -e 's|"socket": ".floorlink-demo/control.sock"|"socket": "/run/floorlink/control.sock"|' \
        -e '\|"mqtt": {"url": "mqtt://127.0.0.1:1883"|d' \
        /usr/share/floorlink/hal/sites/demo.json >/etc/floorlink/site.json
    [ "$(grep -c -e '"/var/lib/floorlink"' -e '"/run/floorlink/control.sock"' /etc/floorlink/site.json)" = 2 ] \
        || fail "the demo config was not rewritten to the installed paths"
}

# Becomes the installed daemon as floorlinkd.service starts it where systemd is not PID 1: user floorlink with its
# groups (the unit's SupplementaryGroups), no capabilities, a clean environment, working directory /, and
# /run/floorlink made as RuntimeDirectory= makes it; ARGS are added to the unit's command line. Execs: started in the
# background, its pid is the daemon's.
package_exec_as_unit() { # $@: more floorlinkd arguments
    install -d -o floorlink -g floorlink -m 0750 /run/floorlink
    cd /
    exec setpriv --reuid=floorlink --regid=floorlink --init-groups --inh-caps=-all --reset-env \
        /usr/bin/floorlinkd --config /etc/floorlink/site.json "$@"
}

# After `dpkg --purge floorlink` of the package DEB: dpkg no longer lists it and nothing of it is left: none of its
# files, none of its directories that no other package holds, no data, config or runtime directory, no unit state,
# no floorlink user or group. (The gpio group the postinst may have made is shared and stays: the caller decides.)
package_check_purged() { # $1: the .deb that was installed
    local status contents entry path left=""
    status=$(dpkg-query -W -f='${db:Status-Status}' floorlink 2>/dev/null || true)
    [ -z "$status" ] || [ "$status" = not-installed ] || fail "after the purge dpkg still lists floorlink ($status)"
    contents=$(dpkg-deb --fsys-tarfile "$1" | tar -t) || fail "cannot list $1"
    while IFS= read -r entry; do
        path=${entry#.}
        [ -n "$path" ] && [ "$path" != / ] || continue
        case "$path" in
        # A directory another package owns stays, as does one that holds another package's files.
        */) [ ! -d "$path" ] || [ -n "$(ls -A "$path")" ] || [ -n "$(dpkg -S "${path%/}" 2>/dev/null || true)" ] \
            || left="$left $path" ;;
        *) [ ! -e "$path" ] || left="$left $path" ;;
        esac
    done <<<"$contents"
    for path in /var/lib/floorlink /etc/floorlink /run/floorlink /usr/share/floorlink /usr/share/doc/floorlink \
        /etc/systemd/system/floorlinkd.service \
        /etc/systemd/system/multi-user.target.wants/floorlinkd.service \
        /var/lib/systemd/deb-systemd-helper-enabled/floorlinkd.service.dsh-also \
        /var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/floorlinkd.service \
        /var/lib/systemd/deb-systemd-helper-masked/floorlinkd.service; do
        [ ! -e "$path" ] && [ ! -L "$path" ] || left="$left $path"
    done
    [ -z "$left" ] || fail "left after the purge:$left"
    ! getent passwd floorlink >/dev/null || fail "the purge left the floorlink user"
    ! getent group floorlink >/dev/null || fail "the purge left the floorlink group"
}
