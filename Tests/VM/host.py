#!/usr/bin/env python3
"""Boots the VM and plays the far ends of its serial ports (used by Tests/VM/run).

The guest's console (ttyS0) is relayed to stdout. ttyS1, ttyS2 and ttyS3 are qemu `-serial
unix:...,server=on,wait=off` chardevs this script connects to:

- ttyS1: answers each `PING x` line with `PONG x\\r\\n`; on the console line `VM-READY scanner` it plays a barcode
  scanner and sends a GS1-128 read with its AIM identifier, in two chunks.
- ttyS2: plays an M100 RFID module: once it has received the start-inventory command (checked byte for byte), it
  sends inventory notices; on `VM-READY m100-mid-frame` it sends half a frame, hangs up, reconnects and sends a
  whole frame.
- ttyS3: an RS-485 bus of lock-controller boards. `VM-READY rs485-cu16 N` makes it CU16-class boards at addresses
  1..N, `VM-READY rs485-modbus N` Modbus RTU relay/input boards at units 1..N (every door closed, every lock held).
  Each answers its own address only, 2 ms after the request (status, unlock; read coils and discrete inputs, write
  single coil). A released lock springs its door open; the door closes 400 ms later. `VM-READY rs485-mute-B` and
  `rs485-unmute-B` silence board B and bring it back; `VM-READY rs485-open-B-C` opens door C of board B (closed
  again 400 ms later). A request that arrives while a reply is still due is a collision on a half-duplex bus: it is
  counted, logged, and both replies are sent corrupted, so the guest sees faults.

A 16550 behind a socket has no modem lines, so the guest never sees the host hang up. An unplug is played with qemu's
`usb-serial` (an FTDI FT232, 0403:6001) on a `qemu-xhci` controller instead: qemu attaches the USB device when its
socket chardev is connected and detaches it when the connection closes (`usb_serial_event` in hw/usb/dev-serial.c),
so closing the socket is pulling the adapter out and connecting again is plugging it back in. The guest sees
/dev/ttyUSB0; on its console lines:

- `VM-READY usb-half-frame`: send the first 12 bytes of the barcode scan.
- `VM-READY usb-unplug`: close the socket (unplug the adapter).
- `VM-READY usb-plug`: connect again (plug it back in); nothing when it is plugged in (each check starts so).
- `VM-READY usb-scan`: send the whole barcode scan, in two chunks.

Bytes sent before the guest opened a port are lost, which is why the guest says when a phase may start.
Exit status: 0 when the guest printed `VM-RESULT: PASS`, 1 otherwise (also on timeout).
"""
import argparse
import os
import socket
import subprocess
import sys
import threading
import time


def m100_frame(frame_type, command, payload):
    body = [frame_type, command, len(payload) >> 8, len(payload) & 0xFF] + list(payload)
    return bytes([0xBB] + body + [sum(body) & 0xFF, 0x7E])


def m100_notice(epc_hex, rssi):
    payload = [rssi & 0xFF, 0x30, 0x00] + list(bytes.fromhex(epc_hex)) + [0x12, 0x34]
    return m100_frame(0x02, 0x22, payload)


START_INVENTORY = m100_frame(0x00, 0x27, [0x22, 0xFF, 0xFF])
SGTIN = "3074257BF7194E4000001A85"
UNKNOWN_EPC = "E2801160600002054A71B2C5"
AFTER_RECONNECT_EPC = "E28011606000020000000099"
GS1_SCAN = b"]C1010950600013435217261231" + b"10ABC123\r\n"


def modbus_crc(data):
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return bytes(data) + bytes([crc & 0xFF, crc >> 8])


def log(text):
    sys.stdout.write(f"[host {time.monotonic() - STARTED:6.2f}s] {text}\n")
    sys.stdout.flush()


def connect(path, deadline):
    while True:
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Port(threading.Thread):
    """One serial port's far end: a reader thread plus phase triggers from the console."""

    def __init__(self, name, path, deadline):
        super().__init__(daemon=True)
        self.name, self.path, self.deadline = name, path, deadline
        self.sock = connect(path, deadline)
        self.lock = threading.Lock()
        self.received = bytearray()

    def send(self, data):
        with self.lock:
            self.sock.sendall(data)

    def run(self):
        while True:
            try:
                with self.lock:
                    sock = self.sock
                sock.settimeout(0.2)
                data = sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                time.sleep(0.05)
                continue
            if not data:
                time.sleep(0.05)
                continue
            self.received += data
            self.handle()

    def reconnect(self):
        with self.lock:
            self.sock.close()
            self.sock = connect(self.path, self.deadline)


class ScannerPort(Port):
    def handle(self):
        while b"\n" in self.received:
            line, _, rest = bytes(self.received).partition(b"\n")
            self.received = bytearray(rest)
            if line.startswith(b"PING "):
                self.send(b"PONG " + line[5:] + b"\r\n")
            else:
                log(f"{self.name}: unexpected line {line!r}")

    def phase(self, name):
        if name == "scanner":
            log(f"{self.name}: scanner sends {GS1_SCAN!r}")
            self.send(GS1_SCAN[:12])
            time.sleep(0.05)
            self.send(GS1_SCAN[12:])


class USBAdapterPort(Port):
    """The far end of the guest's USB serial adapter: closing the connection unplugs the adapter."""

    def __init__(self, name, path, deadline):
        super().__init__(name, path, deadline)
        self.plugged = True
        self.plugged_at = time.monotonic()

    def handle(self):
        log(f"{self.name}: unexpected bytes from the guest {bytes(self.received)!r}")
        self.received = bytearray()

    def unplug(self):
        if not self.plugged:
            log(f"{self.name}: already unplugged")
            return
        with self.lock:
            # shutdown wakes the reader thread's recv at once; qemu reads end-of-file and detaches the device.
            self.sock.shutdown(socket.SHUT_RDWR)
            self.sock.close()
        self.plugged = False
        self.unplugged_at = time.monotonic()
        log(f"{self.name}: unplugged (socket closed) after {self.unplugged_at - self.plugged_at:.2f} s plugged")

    def plug(self):
        if self.plugged:
            log(f"{self.name}: already plugged in")
            return
        with self.lock:
            self.sock = connect(self.path, self.deadline)
        self.plugged = True
        self.plugged_at = time.monotonic()
        log(f"{self.name}: plugged back in (socket connected) after {self.plugged_at - self.unplugged_at:.2f} s out")

    def phase(self, name):
        if name == "usb-half-frame":
            log(f"{self.name}: half a scan {GS1_SCAN[:12]!r}")
            self.send(GS1_SCAN[:12])
        elif name == "usb-unplug":
            self.unplug()
        elif name == "usb-plug":
            self.plug()
        elif name == "usb-scan":
            log(f"{self.name}: scanner sends {GS1_SCAN!r}")
            self.send(GS1_SCAN[:12])
            time.sleep(0.05)
            self.send(GS1_SCAN[12:])


class M100Port(Port):
    started = False

    def handle(self):
        if self.started:
            return
        index = self.received.find(0xBB)
        if index < 0 or len(self.received) < index + len(START_INVENTORY):
            return
        frame = bytes(self.received[index : index + len(START_INVENTORY)])
        if frame != START_INVENTORY:
            log(f"{self.name}: expected start-inventory {START_INVENTORY.hex()}, got {frame.hex()}")
            return
        self.started = True
        log(f"{self.name}: start-inventory received; sending notices")
        for rssi in (-52, -48, -50):
            self.send(m100_notice(SGTIN, rssi))
        self.send(m100_notice(UNKNOWN_EPC, -55))

    def phase(self, name):
        if name == "m100-mid-frame":
            frame = m100_notice(SGTIN, -40)
            log(f"{self.name}: half a frame, hang up, reconnect, a whole frame")
            self.send(frame[:10])
            time.sleep(0.2)
            self.reconnect()
            time.sleep(0.3)
            self.send(m100_notice(AFTER_RECONNECT_EPC, -45))


class BusPort(Port):
    """Lock-controller boards on an RS-485 bus (ttyS3), CU16-class or Modbus RTU, as the console phases say."""

    REPLY_DELAY = 0.002
    DOOR_OPEN_FOR = 0.4

    def __init__(self, name, path, deadline):
        super().__init__(name, path, deadline)
        self.protocol = None
        self.boards = {}
        self.muted = set()
        self.pending = 0
        self.collisions = 0
        self.requests = 0
        self.state = threading.Lock()

    def phase(self, name):
        if not name.startswith("rs485-"):
            return
        words = name.split("-")
        with self.state:
            if words[1] in ("cu16", "modbus"):
                count = int(words[2]) if len(words) > 2 else 2
                self.protocol = words[1]
                self.boards = {address: {"locks": [False] * 16, "doors": [False] * 16} for address in range(1, count + 1)}
                self.muted = set()
                self.received = bytearray()
                log(f"{self.name}: {count} {self.protocol} boards (requests so far {self.requests}, "
                    f"collisions {self.collisions})")
            elif words[1] == "mute":
                self.muted.add(int(words[2]))
                log(f"{self.name}: board {words[2]} stops answering")
            elif words[1] == "unmute":
                self.muted.discard(int(words[2]))
                log(f"{self.name}: board {words[2]} answers again")
            elif words[1] == "open":
                self.open_door(int(words[2]), int(words[3]))

    def open_door(self, board, channel):
        doors = self.boards.get(board, {}).get("doors")
        if doors is None:
            return
        doors[channel - 1] = True
        threading.Timer(self.DOOR_OPEN_FOR, self.close_door, args=(board, channel)).start()

    def close_door(self, board, channel):
        with self.state:
            if board in self.boards:
                self.boards[board]["doors"][channel - 1] = False

    def release(self, board, channel, released):
        self.boards[board]["locks"][channel - 1] = released
        if released and not self.boards[board]["doors"][channel - 1]:
            self.open_door(board, channel)

    def handle(self):
        with self.state:
            while True:
                frame = self.next_frame()
                if frame is None:
                    return
                self.requests += 1
                reply = self.answer(frame)
                if reply is None:
                    continue
                if self.pending > 0:
                    self.collisions += 1
                    log(f"{self.name}: COLLISION: request {frame.hex()} while a reply was still due")
                    reply = bytes(b ^ 0xFF for b in reply)
                self.pending += 1
                threading.Timer(self.REPLY_DELAY, self.reply, args=(reply,)).start()

    def reply(self, data):
        with self.state:
            collided = self.collisions
        self.send(data)
        with self.state:
            self.pending -= 1
            if collided != self.collisions:
                log(f"{self.name}: a reply sent after a collision")

    def next_frame(self):
        """Cuts the next whole request off the received bytes, dropping bytes that start none."""
        data = self.received
        while data:
            if self.protocol == "cu16":
                if data[0] != 0x02:
                    del data[0]
                    continue
                if len(data) < 6:
                    return None
                frame = bytes(data[:6])
                if frame[4] != 0x03 or frame[5] != sum(frame[:5]) & 0xFF:
                    log(f"{self.name}: bad CU16 request {frame.hex()}")
                    del data[0]
                    continue
                del data[:6]
                return frame
            if self.protocol == "modbus":
                if len(data) < 2:
                    return None
                length = 8 if data[1] in (0x01, 0x02, 0x04, 0x05) else None
                if data[1] == 0x0F:
                    if len(data) < 7:
                        return None
                    length = 9 + data[6]
                if length is None:
                    del data[0]
                    continue
                if len(data) < length:
                    return None
                frame = bytes(data[:length])
                if modbus_crc(frame[:-2]) != frame:
                    log(f"{self.name}: bad Modbus request {frame.hex()}")
                    del data[0]
                    continue
                del data[:length]
                return frame
            log(f"{self.name}: bytes before any phase: {bytes(data).hex()}")
            data.clear()
        return None

    def answer(self, frame):
        if self.protocol == "cu16":
            address, lock, command = frame[1], frame[2], frame[3]
            if address not in self.boards or address in self.muted:
                return None
            board = self.boards[address]
            if command == 0x31 and lock < 16:
                self.release(address, lock + 1, True)
                threading.Timer(0.5, self.cu16_pulse_end, args=(address, lock + 1)).start()
                return None
            if command != 0x30:
                return None
            locks = sum(1 << i for i, on in enumerate(board["locks"]) if on)
            doors = sum(1 << i for i, open_ in enumerate(board["doors"]) if open_)
            body = [0x02, address, 0x35, locks & 0xFF, locks >> 8, doors & 0xFF, doors >> 8, 0x03]
            return bytes(body + [sum(body) & 0xFF])
        unit, function = frame[0], frame[1]
        if unit not in self.boards or unit in self.muted:
            return None
        board = self.boards[unit]
        start, value = int.from_bytes(frame[2:4], "big"), int.from_bytes(frame[4:6], "big")
        if function in (0x01, 0x02):
            if start + value > 16 or value == 0:
                return modbus_crc([unit, function | 0x80, 0x02])
            bits = (board["locks"] if function == 0x01 else board["doors"])[start : start + value]
            packed = [0] * ((value + 7) // 8)
            for index, on in enumerate(bits):
                if on:
                    packed[index // 8] |= 1 << (index % 8)
            return modbus_crc([unit, function, len(packed)] + packed)
        if function == 0x05:
            if start >= 16 or value not in (0xFF00, 0x0000):
                return modbus_crc([unit, function | 0x80, 0x02 if start >= 16 else 0x03])
            self.release(unit, start + 1, value == 0xFF00)
            return frame
        return modbus_crc([unit, function | 0x80, 0x01])

    def cu16_pulse_end(self, address, channel):
        with self.state:
            if address in self.boards:
                self.boards[address]["locks"][channel - 1] = False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--initrd", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--append", default="")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    sockets = [os.path.join(args.workdir, f"ttyS{n}.sock") for n in (1, 2, 3)]
    usb_socket = os.path.join(args.workdir, "ttyUSB0.sock")
    for path in sockets + [usb_socket]:
        if os.path.exists(path):
            os.unlink(path)
    command = [
        args.qemu, "-m", "512", "-smp", "2", "-nographic", "-no-reboot", "-nic", "none",
        "-kernel", args.kernel, "-initrd", args.initrd,
        "-append", f"console=ttyS0 panic=-1 quiet {args.append}".strip(),
        "-serial", "mon:stdio",
    ] + [arg for path in sockets for arg in ("-serial", f"unix:{path},server=on,wait=off")] + [
        # The USB serial adapter: attached while this script holds its socket open (not always-plugged).
        "-device", "qemu-xhci,id=xhci",
        "-chardev", f"socket,id=usbserial,path={usb_socket},server=on,wait=off",
        "-device", "usb-serial,bus=xhci.0,chardev=usbserial,serial=FLOORLINK-VM-1",
    ]
    log("boot: " + " ".join(command))
    deadline = time.monotonic() + args.timeout
    qemu = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    ports = {}
    result = None
    try:
        ports = {
            "ttyS1": ScannerPort("ttyS1", sockets[0], deadline),
            "ttyS2": M100Port("ttyS2", sockets[1], deadline),
            "ttyS3": BusPort("ttyS3", sockets[2], deadline),
            "ttyUSB0": USBAdapterPort("ttyUSB0", usb_socket, deadline),
        }
        for port in ports.values():
            port.start()
        timer = threading.Timer(max(0, deadline - time.monotonic()), qemu.kill)
        timer.daemon = True
        timer.start()
        for raw in qemu.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
            if line.startswith("VM-BOOTED"):
                log("guest booted")
            elif line.startswith("VM-READY "):
                phase = line.split()[1]
                for port in ports.values():
                    threading.Thread(target=port.phase, args=(phase,), daemon=True).start()
            elif line.startswith("VM-RESULT:"):
                result = line
        qemu.wait()
        timer.cancel()
    finally:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait()
    if result is None:
        log(f"no VM-RESULT line: qemu exited with {qemu.returncode}"
            + (" after the host timeout" if time.monotonic() >= deadline else ""))
        return 1
    log(f"qemu done: {result}")
    bus = ports["ttyS3"]
    log(f"ttyS3: {bus.requests} bus requests, {bus.collisions} collisions")
    if bus.collisions:
        log("FAIL: requests collided on the RS-485 bus")
        return 1
    return 0 if result.startswith("VM-RESULT: PASS") else 1


STARTED = time.monotonic()
if __name__ == "__main__":
    sys.exit(main())
