# Sourced by Tests/VM/run: builds (or reuses) the VM kernel.
# The kernel is tinyconfig plus the options below (measured in ../../shared/HIL.md, kept here as the one list),
# cached outside the repository under a key made of this list and the linux-source package version.
# The last line is the USB serial adapter the host unplugs: qemu's usb-serial (an FTDI FT232, 0403:6001) on a
# qemu-xhci controller; USB_XHCI_PCI and USB_PCI default to y once their parents are, listed to have them checked.

VM_KERNEL_OPTIONS="64BIT PRINTK TTY SERIAL_8250 SERIAL_8250_CONSOLE BLK_DEV_INITRD RD_GZIP BINFMT_ELF
BINFMT_SCRIPT PROC_FS SYSFS DEVTMPFS DEVTMPFS_MOUNT UNIX98_PTYS FUTEX EPOLL EVENTFD SIGNALFD TIMERFD
INOTIFY_USER SHMEM TMPFS POSIX_TIMERS MULTIUSER FILE_LOCKING GPIOLIB GPIO_CDEV GPIO_CDEV_V1 CONFIGFS_FS
GPIO_SIM IRQ_SIM ACPI PCI NET UNIX INET SMP RTC_CLASS HIGH_RES_TIMERS
USB_SUPPORT USB USB_PCI USB_XHCI_HCD USB_XHCI_PCI USB_SERIAL USB_SERIAL_FTDI_SIO"

VM_KERNEL_SOURCE=/usr/src/linux-source-6.1.tar.xz

# The cache directory for this option list and source version.
vm_kernel_dir() {
    local source_version key
    source_version=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo unknown)
    key=$(printf '%s\n%s\n' "$source_version" "$(echo $VM_KERNEL_OPTIONS)" | sha256sum | cut -c1-16)
    echo "${XDG_CACHE_HOME:-$HOME/.cache}/floorlink-vm/kernel-$key"
}

# Prints the cached bzImage's path, or fails when there is none.
vm_kernel_cached() {
    local dir
    dir=$(vm_kernel_dir)
    [ -f "$dir/bzImage" ] && echo "$dir/bzImage"
}

# Prints the path of a bzImage, building it first when the cache has none for this option list.
vm_kernel() {
    local dir log started
    dir=$(vm_kernel_dir)
    if [ -f "$dir/bzImage" ]; then
        echo "kernel: cached $dir/bzImage" >&2
        echo "$dir/bzImage"
        return 0
    fi
    [ -f "$VM_KERNEL_SOURCE" ] || { echo "kernel: $VM_KERNEL_SOURCE missing (apt-get install linux-source-6.1)" >&2; return 1; }
    echo "kernel: building into $dir (tinyconfig + $(echo $VM_KERNEL_OPTIONS | wc -w) options, about 6 min on 2 idle cores)" >&2
    started=$(date +%s)
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    log="$dir.tmp/build.log"
    tar -C "$dir.tmp" -xf "$VM_KERNEL_SOURCE"
    local src="$dir.tmp/linux-source-6.1"
    (
        cd "$src"
        make tinyconfig
        local opt args=()
        for opt in $VM_KERNEL_OPTIONS; do args+=(-e "$opt"); done
        scripts/config "${args[@]}"
        make olddefconfig
        for opt in $VM_KERNEL_OPTIONS; do
            grep -q "^CONFIG_$opt=y" .config || { echo "kernel: CONFIG_$opt did not stick" >&2; exit 1; }
        done
        make -j"$(nproc)" bzImage
    ) >"$log" 2>&1 || { tail -40 "$log" >&2; echo "kernel: build failed, log in $log" >&2; return 1; }
    cp "$src/arch/x86/boot/bzImage" "$src/.config" "$dir.tmp/"
    rm -rf "$src"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
    echo "kernel: built in $(( $(date +%s) - started )) s" >&2
    echo "$dir/bzImage"
}
