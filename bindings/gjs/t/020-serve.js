// A daemon served from GJS.  GJS has no threads, so the whole client
// stream is written first, the client's end is shut for writing, and
// serve_fd (which returns at the end of the stream) runs on the main
// thread; then the replies are read back.
imports.gi.versions.Guestfsd = '0';
const { GLib, Gio, Guestfsd } = imports.gi;
const System = imports.system;

let n = 0;
function ok(name) {
    n++;
    print(`ok ${n} - ${name}`);
}
function check(cond, what) {
    if (!cond)
        throw new Error(`check failed: ${what}`);
}

const PROGRAM = 0x2000F5F5;
const LAUNCH_FLAG = 0xF5F55FF5;
const PING = 92, ECHO = 195;

function xdrString(s) {
    const b = new TextEncoder().encode(s);
    const out = new Uint8Array(4 + ((b.length + 3) & ~3));
    new DataView(out.buffer).setUint32(0, b.length);
    out.set(b, 4);
    return out;
}

function concat(parts) {
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let off = 0;
    for (const p of parts) {
        out.set(p, off);
        off += p.length;
    }
    return out;
}

function request(proc, serial, args = new Uint8Array(0)) {
    const head = new Uint8Array(44);
    const v = new DataView(head.buffer);
    v.setUint32(0, 40 + args.length);
    v.setUint32(4, PROGRAM);
    v.setUint32(8, 4);
    v.setUint32(12, proc);
    v.setUint32(16, 0); // CALL
    v.setUint32(20, serial);
    // progress_hint, optargs and status stay 0
    return concat([head, args]);
}

print('1..4');

const tmp = GLib.dir_make_tmp('gdt-gjs-XXXXXX');
const path = GLib.build_filenamev([tmp, 'sock']);
const listener = Gio.Socket.new(Gio.SocketFamily.UNIX, Gio.SocketType.STREAM,
    Gio.SocketProtocol.DEFAULT);
const address = Gio.UnixSocketAddress.new(path);
listener.bind(address, true);
listener.listen();
const client = Gio.Socket.new(Gio.SocketFamily.UNIX, Gio.SocketType.STREAM,
    Gio.SocketProtocol.DEFAULT);
client.connect(address, null);
const server = listener.accept(null);
listener.close();
GLib.unlink(path);

const words = [xdrString('hello'), xdrString('from'), xdrString('gjs')];
const count = new Uint8Array(4);
new DataView(count.buffer).setUint32(0, words.length);
const stream = concat([
    request(PING, 0x123400),
    request(ECHO, 0x123401, concat([count, ...words])),
    request(9999, 0x123402),
]);
const conn = client.connection_factory_create_connection();
conn.get_output_stream().write_all(stream, null);
client.shutdown(false, true);

const d = Guestfsd.Daemon.new();
d.set_sysroot(tmp);
check(d.serve_fd(server.get_fd()) === true, 'serve_fd returned TRUE');
server.close();
ok('serve_fd served the stream and returned');

const input = conn.get_input_stream();
function readExact(len) {
    const bytes = input.read_bytes(len, null).toArray();
    check(bytes.length === len, `read ${bytes.length} of ${len} bytes`);
    return bytes;
}
function readReply() {
    const len = new DataView(readExact(4).buffer).getUint32(0);
    const body = readExact(len);
    const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
    check(v.getUint32(0) === PROGRAM && v.getUint32(4) === 4 && v.getUint32(12) === 1,
        'reply header');
    return {proc: v.getUint32(8), serial: v.getUint32(16), status: v.getUint32(36),
        rest: body.slice(40)};
}
function xdrStringAt(bytes) {
    const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
    return new TextDecoder().decode(bytes.slice(4, 4 + len));
}

check(new DataView(readExact(4).buffer).getUint32(0) === LAUNCH_FLAG, 'launch flag');
let r = readReply();
check(r.proc === PING && r.serial === 0x123400 && r.status === 0 && r.rest.length === 0,
    'ping reply');
ok('ping_daemon');

r = readReply();
check(r.proc === ECHO && r.serial === 0x123401 && r.status === 0, 'echo reply');
check(xdrStringAt(r.rest) === 'hello from gjs', `echo result ${xdrStringAt(r.rest)}`);
ok('echo_daemon');

r = readReply();
check(r.proc === 9999 && r.status === 1 && xdrStringAt(r.rest) === 'EINVAL', 'error reply');
check(input.read_bytes(1, null).get_size() === 0, 'end of stream after the replies');
conn.close(null);
GLib.rmdir(tmp);
ok('error reply, then end of stream');
System.exit(0);
