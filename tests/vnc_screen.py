"""What the VNC browser tests share: noVNC's canvas read out of headless
Chromium, a guest's screen reduced to its VGA text cells (so noVNC's
canvas and the hypervisor's own screendump compare cell by cell), PPM and
PNG files, and the checks on noVNC's connected state."""

import base64
import os
import struct
import time
import zlib

#: VGA text mode: 80x25 cells of 9x16 pixels
CELL_W, CELL_H = 9, 16

#: the canvas' pixels as RGBA bytes, base64 (noVNC draws into it)
CANVAS_JS = """
const canvas = document.querySelector('#noVNC_container canvas');
if (!canvas || !canvas.width) { return null; }
const data = canvas.getContext('2d').getImageData(
    0, 0, canvas.width, canvas.height).data;
let text = '';
for (let i = 0; i < data.length; i += 8192) {
    text += String.fromCharCode.apply(null, data.subarray(i, i + 8192));
}
return [canvas.width, canvas.height, btoa(text)];
"""

CONNECTED_JS = ('return document.documentElement.classList.contains('
                '"noVNC_connected");')


def write_png(path, width, height, rgb):
    """Save raw RGB as a PNG (for the artifacts)."""
    rows = b''.join(b'\0' + rgb[y * width * 3:(y + 1) * width * 3]
                    for y in range(height))

    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data)))
    with open(path, 'wb') as out:
        out.write(b'\x89PNG\r\n\x1a\n')
        out.write(chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8,
                                             2, 0, 0, 0)))
        out.write(chunk(b'IDAT', zlib.compress(rows)))
        out.write(chunk(b'IEND', b''))


def read_ppm(path, timeout=10):
    """``(width, height, rgb)`` of a binary PPM (QEMU's screendump, virsh
    screenshot), waiting until the file is whole."""
    deadline = time.time() + timeout
    while True:
        if os.path.exists(path):
            with open(path, 'rb') as ppm:
                parts = ppm.read().split(maxsplit=4)
            if len(parts) == 5 and parts[0] == b'P6':
                width, height = int(parts[1]), int(parts[2])
                if len(parts[4]) == width * height * 3:
                    return width, height, parts[4]
        assert time.time() < deadline, 'no whole screendump in %s' % path
        time.sleep(0.1)


def _paeth(left, up, corner):
    guess = left + up - corner
    pick_left, pick_up = abs(guess - left), abs(guess - up)
    pick_corner = abs(guess - corner)
    if pick_left <= pick_up and pick_left <= pick_corner:
        return left
    return up if pick_up <= pick_corner else corner


def _unfilter(kind, line, prior, step):
    """One PNG scanline with its filter (0-4) undone."""
    out = bytearray(line)
    for i in range(len(out)):
        left = out[i - step] if i >= step else 0
        up = prior[i]
        corner = prior[i - step] if i >= step else 0
        if kind == 1:
            out[i] = (out[i] + left) & 0xff
        elif kind == 2:
            out[i] = (out[i] + up) & 0xff
        elif kind == 3:
            out[i] = (out[i] + (left + up) // 2) & 0xff
        elif kind == 4:
            out[i] = (out[i] + _paeth(left, up, corner)) & 0xff
    return out


def read_png(path):
    """``(width, height, rgb)`` of an 8-bit RGB or RGBA, non-interlaced PNG
    (libvirt's ``virsh screenshot`` of a QEMU domain)."""
    with open(path, 'rb') as source:
        data = source.read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG: %s' % path
    pos, idat, header = 8, b'', None
    while pos < len(data):
        length, = struct.unpack('>I', data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
    width, height, depth, color, _c, _f, interlace = header
    assert depth == 8 and color in (2, 6) and not interlace, header
    step = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * step
    rows, prior = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        prior = _unfilter(raw[start], raw[start + 1:start + 1 + stride],
                          prior, step)
        rows.append(bytes(prior) if step == 3 else rgba_to_rgb(prior))
    return width, height, b''.join(rows)


def rgba_to_rgb(rgba):
    """Drop the alpha bytes."""
    return b''.join(rgba[i:i + 3] for i in range(0, len(rgba), 4))


def cell_mask(width, height, rgb, channels=3):
    """One character per text cell: '#' where the cell holds lit pixels."""
    lines = []
    for row in range(height // CELL_H):
        line = ''
        for col in range(width // CELL_W):
            lit = 0
            for y in range(row * CELL_H, (row + 1) * CELL_H):
                start = (y * width + col * CELL_W) * channels
                for x in range(CELL_W):
                    pixel = rgb[start + x * channels:start + x * channels + 3]
                    if sum(pixel) > 240:
                        lit += 1
            line += '#' if lit >= 3 else '.'
        lines.append(line)
    return lines


def mask_difference(got, expected):
    """How many cells two masks disagree on."""
    return sum(a != b for line_a, line_b in zip(got, expected)
               for a, b in zip(line_a, line_b))


def canvas(driver):
    """``(width, height, rgba)`` of noVNC's canvas, or None."""
    found = driver.execute_script(CANVAS_JS)
    if not found:
        return None
    width, height, data = found
    return width, height, base64.b64decode(data)


def wait(driver, predicate, timeout=60):
    """Poll ``predicate(driver)`` until it is true; its value."""
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        lambda d: predicate(d))


def connected(driver):
    """Whether noVNC says it is connected."""
    return driver.execute_script(CONNECTED_JS)


def wait_same_screen(driver, width, height, expected, timeout=30,
                     tolerance=2):
    """Wait until noVNC's canvas has the size of the reference screen and
    its text cells match ``expected`` (up to ``tolerance`` cells); the
    canvas' mask."""
    def same_screen(drv):
        found = canvas(drv)
        if not found or found[:2] != (width, height):
            return False
        got = cell_mask(width, height, found[2], channels=4)
        return mask_difference(got, expected) <= tolerance and got
    return wait(driver, same_screen, timeout=timeout)
