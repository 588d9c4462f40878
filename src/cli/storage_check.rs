//! Where attachments taken out of a case land: plaintext copies outside the register, which no
//! retention run reaches. On removable media (a USB stick) or shared storage (a network share)
//! they are the forgotten copies breaches come from, so the handler is warned. Linux only: the
//! mount table (`/proc/self/mountinfo`) and the block device's `removable` flag in sysfs.

use std::path::Path;

/// Filesystems on another machine, reached over the network.
const SHARED: &[&str] = &[
    "nfs",
    "nfs4",
    "cifs",
    "smb3",
    "smbfs",
    "9p",
    "ceph",
    "glusterfs",
    "afs",
    "fuse.sshfs",
    "fuse.rclone",
    "fuse.davfs2",
    "davfs",
    "fuse.gvfsd-fuse",
];

/// Filesystems that, on Linux, are almost always on a memory card or a USB stick.
const REMOVABLE_FS: &[&str] = &["vfat", "exfat", "msdos", "fuseblk"];

/// One mount: where, what filesystem, which device.
#[derive(Debug, PartialEq, Eq)]
struct Mount {
    point: String,
    fstype: String,
    device: String,
}

/// Parses `/proc/self/mountinfo` (fields: id parent major:minor root point options ...
/// `-` fstype source ...). Mount points escape spaces as `\040`.
fn mounts(table: &str) -> Vec<Mount> {
    table
        .lines()
        .filter_map(|line| {
            let (head, tail) = line.split_once(" - ")?;
            let mut h = head.split(' ');
            let device = h.nth(2)?.to_owned();
            let point = h.nth(1)?.replace("\\040", " ");
            let fstype = tail.split(' ').next()?.to_owned();
            Some(Mount {
                point,
                fstype,
                device,
            })
        })
        .collect()
}

/// The mount holding `path` (longest mount point that is a prefix of it).
fn holding<'a>(table: &'a [Mount], path: &Path) -> Option<&'a Mount> {
    table
        .iter()
        .filter(|m| path.starts_with(&m.point))
        .max_by_key(|m| m.point.len())
}

/// Why `dir` is a risky place for plaintext copies, if it is: "shared storage (nfs4)",
/// "removable storage (vfat)".
pub(super) fn risk(dir: &Path) -> Option<String> {
    // The folder may not exist yet: judge the nearest existing ancestor.
    let existing = dir.ancestors().find(|p| p.exists())?;
    let path = existing.canonicalize().ok()?;
    let table = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let table = mounts(&table);
    let mount = holding(&table, &path)?;
    if SHARED.contains(&mount.fstype.as_str()) {
        return Some(format!("shared storage ({})", mount.fstype));
    }
    if REMOVABLE_FS.contains(&mount.fstype.as_str()) || removable_device(&mount.device) {
        return Some(format!("removable storage ({})", mount.fstype));
    }
    None
}

/// The block device's (or, for a partition, its disk's) `removable` flag.
fn removable_device(major_minor: &str) -> bool {
    let dev = Path::new("/sys/dev/block").join(major_minor);
    [dev.join("removable"), dev.join("../removable")]
        .iter()
        .any(|f| std::fs::read_to_string(f).is_ok_and(|v| v.trim() == "1"))
}

/// Tells the handler, on stderr, when `dir` is a risky place; never refuses.
pub(super) fn warn_if_risky(dir: &Path) {
    if let Some(why) = risk(dir) {
        eprintln!(
            "warning: {} is on {why}: attachments saved there are plaintext copies outside the \
             register, which no retention run or destruction reaches. Save them on this \
             machine's encrypted disk instead, and delete them when the case no longer needs \
             them.",
            dir.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{holding, mounts, Mount};
    use std::path::Path;

    const TABLE: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
40 27 8:17 / /media/anna/USB\\040STICK rw,relatime - vfat /dev/sdb1 rw
41 27 0:50 / /mnt/share rw,relatime - nfs4 srv:/export rw
";

    #[test]
    fn the_deepest_mount_holding_a_path_is_the_one_it_is_on() {
        let table = mounts(TABLE);
        assert_eq!(table.len(), 4);
        let on = |p: &str| holding(&table, Path::new(p)).map(|m| m.fstype.as_str());
        assert_eq!(on("/media/anna/USB STICK/case"), Some("vfat"));
        assert_eq!(on("/mnt/share/x"), Some("nfs4"));
        assert_eq!(on("/home/anna"), Some("ext4"));
        assert_eq!(
            on("/mnt/shared"),
            Some("ext4"),
            "a prefix of a name is not a parent"
        );
        assert_eq!(
            table[1],
            Mount {
                point: "/".into(),
                fstype: "ext4".into(),
                device: "8:1".into()
            }
        );
    }
}
