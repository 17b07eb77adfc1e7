#!/usr/bin/env python3
"""Boot the test guest through EC2 and through raw libvirt; print JSON.

Both paths boot the same guest (kernel, ramdisk, a disk carrying a static
address, a virtio NIC on ``br100`` in a test host namespace, the metadata
relay) and time from the request to the guest's marker line on its serial
console:

* ``ec2``: boto3 RunInstances on the in-process cloud with
  ``--connection_type=libvirt`` (scheduler, network, compute, the driver
  building the instance directory), then GetConsoleOutput until the marker;
* ``raw``: ``defineXML`` + ``create`` of an equivalent domain straight on
  libvirt, then the console file until the marker.

Reports the mean of ``--boots`` (5) boots each, the difference and the ratio
of the means (target: ec2 <= raw + 1.5 s), and the time for ``--parallel``
(10) guests to all print their marker, launched in one RunInstances and,
in the same run just before, as many equivalent domains defined and
started at once on raw libvirt (``parallel_ratio``, target <= 1.5; the
anchor: 21.8 s through EC2 on a quiet machine before the target).  Needs
root, libvirtd/QEMU (started in the namespace when not running) and the
test guest (built and cached by tools/build_test_guest.py).

    python tools/bench/guest_boot.py [--boots 5] [--parallel 10]
"""

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import sys
import threading
import time
import uuid

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration', 'virt'))

RAW_XML = """<domain type='qemu'>
  <name>{name}</name>
  <memory>{memory_kb}</memory>
  <os><type>hvm</type><kernel>{dir}/kernel</kernel>
    <initrd>{dir}/ramdisk</initrd>
    <cmdline>root=/dev/vda console=ttyS0</cmdline></os>
  <features><acpi/></features>
  <vcpu>1</vcpu>
  <devices>
    <disk type='file'><driver name='qemu' type='raw'/>
      <source file='{dir}/disk'/><target dev='vda' bus='virtio'/></disk>
    <interface type='bridge'><source bridge='br100'/>
      <mac address='{mac}'/><model type='virtio'/></interface>
    <serial type='file'><source path='{dir}/console.log'/>
      <target port='0'/></serial>
  </devices>
</domain>"""


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wait_marker(read, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if 'NOVA-TEST-GUEST ip=' in read():
            return time.time()
        time.sleep(0.1)
    raise RuntimeError('no marker in %ss' % timeout)


def _raw_prepare(guest, workdir, index, memory_mb):
    """A raw guest's directory (copied images, static address on its
    disk, empty console); returns (directory, console path, domain XML)."""
    from nova.virt import disk
    name = 'n11bench-raw-%s-%d' % (uuid.uuid4().hex[:6], index)
    directory = os.path.join(workdir, name)
    os.makedirs(directory)
    os.chmod(directory, 0o755)
    shutil.copyfile(guest['kernel'], os.path.join(directory, 'kernel'))
    shutil.copyfile(guest['ramdisk'], os.path.join(directory, 'ramdisk'))
    shutil.copyfile(guest['disk'], os.path.join(directory, 'disk'))
    address = '10.0.%d.%d' % (200 + index // 200, 10 + index % 200)
    disk.inject_data(os.path.join(directory, 'disk'), net=(
        'auto eth0\niface eth0 inet static\n    address %s\n'
        '    netmask 255.255.0.0\n    gateway 10.0.0.1\n' % address))
    console = os.path.join(directory, 'console.log')
    open(console, 'w').close()
    xml = RAW_XML.format(name=name, dir=directory, memory_kb=memory_mb * 1024,
                         mac='02:16:3e:b0:%02x:%02x' % (index // 256,
                                                        index % 256))
    return directory, console, xml


def _raw_remove(dom, directory):
    try:
        dom.destroy()
    except Exception:  # noqa: BLE001 - already off
        pass
    dom.undefine()
    shutil.rmtree(directory, ignore_errors=True)


def raw_boot(libvirt, conn, guest, workdir, index, memory_mb):
    """One raw libvirt boot; returns seconds to the marker."""
    directory, console, xml = _raw_prepare(guest, workdir, index, memory_mb)
    start = time.time()
    dom = conn.defineXML(xml)
    dom.create()
    try:
        done = _wait_marker(lambda: open(console, errors='replace').read())
    finally:
        _raw_remove(dom, directory)
    return done - start


def start_at_once(conn, xmls):
    """Define and start each domain of ``xmls`` at once, a thread each.

    Returns ``(start, domains, errors)``: the time the threads started,
    the domains (None where defining failed) and the errors raised."""
    doms = [None] * len(xmls)
    errors = []

    def launch(index):
        try:
            doms[index] = conn.defineXML(xmls[index])
            doms[index].create()
        except Exception as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
    start = time.time()
    threads = [threading.Thread(target=launch, args=(index,))
               for index in range(len(xmls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return start, doms, errors


def wait_markers(consoles, marker, timeout):
    """Poll the console files until each holds ``marker``; returns the
    indexes of those that did not within ``timeout`` seconds."""
    pending = set(range(len(consoles)))
    deadline = time.time() + timeout
    while pending and time.time() < deadline:
        for index in list(pending):
            with open(consoles[index], errors='replace') as console:
                if marker in console.read():
                    pending.discard(index)
        time.sleep(0.1)
    return pending


def raw_parallel_boot(conn, guest, workdir, count, memory_mb):
    """``count`` equivalent domains defined and started at once (one
    thread each) straight on libvirt; seconds until all print the marker.

    The images are copied and the addresses written before the clock
    starts, as for :func:`raw_boot`."""
    prepared = [_raw_prepare(guest, workdir, 100 + index, memory_mb)
                for index in range(count)]
    start, doms, errors = start_at_once(conn, [xml for _d, _c, xml
                                               in prepared])
    pending = wait_markers([console for _d, console, _x in prepared],
                           'NOVA-TEST-GUEST ip=', 600) if not errors \
        else set()
    elapsed = time.time() - start
    for dom, (directory, _console, _xml) in zip(doms, prepared):
        if dom is not None:
            _raw_remove(dom, directory)
    if errors:
        raise RuntimeError('raw parallel boot: %s' % errors[0])
    return elapsed, count - len(pending)


def _console(cloud, ec2_id):
    """The console text, or '' while the API cannot give it yet."""
    import botocore.exceptions
    try:
        return cloud.console(ec2_id)
    except botocore.exceptions.ClientError:
        return ''


def ec2_boot(cloud):
    """One RunInstances -> marker; returns seconds (and terminates)."""
    start = time.time()
    res = cloud.client.run_instances(ImageId=cloud.ami, MinCount=1,
                                     MaxCount=1, InstanceType='m1.tiny')
    ec2_id = res['Instances'][0]['InstanceId']
    done = _wait_marker(lambda: _console(cloud, ec2_id))
    cloud.client.terminate_instances(InstanceIds=[ec2_id])
    cloud.wait_gone(ec2_id, timeout=120)
    return done - start


def parallel_boot(cloud, count):
    """``count`` guests in one RunInstances; seconds until all markers."""
    start = time.time()
    res = cloud.client.run_instances(ImageId=cloud.ami, MinCount=count,
                                     MaxCount=count, InstanceType='m1.tiny')
    ids = [item['InstanceId'] for item in res['Instances']]
    pending = set(ids)
    deadline = time.time() + 600
    while pending and time.time() < deadline:
        for ec2_id in list(pending):
            if 'NOVA-TEST-GUEST ip=' in _console(cloud, ec2_id):
                pending.discard(ec2_id)
        time.sleep(0.5)
    elapsed = time.time() - start
    cloud.client.terminate_instances(InstanceIds=ids)
    for ec2_id in ids:
        cloud.wait_gone(ec2_id, timeout=120)
    return elapsed, len(ids) - len(pending)


def main(argv=None):
    """Run the benchmark; print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--boots', type=int, default=5)
    parser.add_argument('--parallel', type=int, default=10)
    args = parser.parse_args(argv)
    helpers = _load('n11_virt_helpers', os.path.join(
        ROOT, 'tests', 'integration', 'virt', 'conftest.py'))
    builder = _load('build_test_guest', os.path.join(
        ROOT, 'tools', 'build_test_guest.py'))
    import libvirt
    guest = builder.build()
    host = helpers.LibvirtHost().start()
    cloud = None
    result = {'boots': args.boots}
    try:
        cloud = helpers.VirtCloud(host, guest).start()
        workdir = os.path.join(cloud.state_path, 'raw')
        os.makedirs(workdir)
        conn = libvirt.open('qemu:///system')
        raw, ec2 = [], []
        for index in range(args.boots):
            raw.append(raw_boot(libvirt, conn, guest, workdir, index, 512))
            ec2.append(ec2_boot(cloud))
        result.update({
            'raw_seconds': [round(x, 2) for x in raw],
            'ec2_seconds': [round(x, 2) for x in ec2],
            'raw_mean': round(statistics.mean(raw), 2),
            'ec2_mean': round(statistics.mean(ec2), 2),
        })
        result['ec2_minus_raw'] = round(result['ec2_mean'] -
                                        result['raw_mean'], 2)
        result['ratio'] = round(result['ec2_mean'] / result['raw_mean'], 3)
        result['target_ec2_le_raw_plus_1_5s'] = result['ec2_minus_raw'] <= 1.5
        if args.parallel:
            raw_seconds, raw_booted = raw_parallel_boot(
                conn, guest, workdir, args.parallel, 512)
            seconds, booted = parallel_boot(cloud, args.parallel)
            result.update({
                'parallel': args.parallel,
                'parallel_booted': booted,
                'parallel_seconds': round(seconds, 2),
                'parallel_anchor_seconds': 21.8,
                'raw_parallel_booted': raw_booted,
                'raw_parallel_seconds': round(raw_seconds, 2),
                'parallel_ratio': round(seconds / raw_seconds, 3),
                'target_parallel_ratio_le_1_5':
                    booted == raw_booted == args.parallel and
                    seconds / raw_seconds <= 1.5})
        conn.close()
        with open('/proc/loadavg') as load:
            result['loadavg'] = load.read().split()[:3]
    finally:
        if cloud is not None:
            cloud.stop()
        host.stop()
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
