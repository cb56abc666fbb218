# LUKS on LVM: an encrypted container in a logical volume.  After a
# reboot the volume group is active again and the container opens
# read-only with the same key.  (Keys: the line after luks-format and
# cryptsetup-open, read by --keys-from-stdin.)
# disks: 100M
run
pvcreate /dev/sda
vgcreate VG /dev/sda
lvcreate LV VG 48
luks-format /dev/VG/LV 0
lukskey
cryptsetup-open /dev/VG/LV lukslv
lukskey
list-dm-devices
mkfs ext4 /dev/mapper/lukslv
mount /dev/mapper/lukslv /
write /secret "inside LUKS on LVM\n"
mounts
umount-all
cryptsetup-close /dev/mapper/lukslv
list-dm-devices
# --- reboot ---
run
lvs
cryptsetup-open /dev/VG/LV again readonly:true
lukskey
list-dm-devices
mount-ro /dev/mapper/again /
download /secret -
umount-all
cryptsetup-close /dev/mapper/again
