// The typelib loads in GJS, and the plain API answers.
imports.gi.versions.Guestfsd = '0';
const { GLib, Guestfsd } = imports.gi;
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

print('1..4');

const version = Guestfsd.version_string();
const want = GLib.getenv('GDTEST_VERSION');
check(want === null || version === want, `version ${version}`);
check(version === `${Guestfsd.MAJOR_VERSION}.${Guestfsd.MINOR_VERSION}.${Guestfsd.MICRO_VERSION}`,
    'version constants');
ok('version');

const d = Guestfsd.Daemon.new();
check(d.get_sysroot() === '/sysroot', 'default sysroot');
check(d.sysroot === '/sysroot', 'sysroot property');
check(!d.live && !d.verbose && !d.network, 'default flags');
check(d.get_drives().length === 0, 'no drives');
ok('defaults');

d.live = true;
check(d.get_sysroot() === '/', 'live sysroot');
d.set_sysroot('/srv');
check(d.sysroot === '/srv', 'set_sysroot');
ok('properties');

const all = Guestfsd.list_procedures(false);
const implemented = Guestfsd.list_procedures(true);
check(all.length > 400, 'procedure count');
check(implemented.includes('ping_daemon') && implemented.includes('echo_daemon'),
    'implemented procedures');
check(implemented.every(p => all.includes(p)), 'implemented is a subset');
const [found, verbose, network, channel] =
    Guestfsd.parse_kernel_cmdline('guestfs_network=1 guestfs_channel=/dev/x');
check(found && !verbose && network && channel === '/dev/x', 'parse_kernel_cmdline');
ok('functions');
System.exit(0);
