# LVM on RAID 1: a volume group on an md array, a filesystem in it.  After
# a reboot the appliance's init assembles the array and activates the
# volume group, and the data is there.
# disks: 100M 100M
run
md-create r1 "/dev/sda /dev/sdb" level:raid1
list-md-devices
md-stat /dev/md/r1
pvcreate /dev/md127
vgcreate VG /dev/md127
lvcreate LV VG 32
pvs
vgs
lvs
mkfs ext4 /dev/VG/LV
mount /dev/VG/LV /
write /data "data on LVM on RAID 1\n"
mounts
umount-all
vg-activate-all false
md-stop /dev/md127
list-md-devices
# --- reboot ---
run
list-md-devices
pvs
lvs
mount-ro /dev/VG/LV /
download /data -
umount-all
