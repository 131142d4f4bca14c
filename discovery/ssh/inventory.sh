# Cairn SSH inventory, version 2. Run as: sh -s -- NONCE < inventory.sh
#
# Read-only: every command below only reads. It prints sections, each
# introduced by a line "@@cairn:NONCE:NAME@@" and the whole ended by
# "@@cairn:NONCE:end@@"; NONCE is a random word chosen per run, so no text
# the host prints can forge a section. A missing tool leaves its section
# empty (or absent) and never fails the run.
n=${1:-0}
LC_ALL=C
export LC_ALL
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH
s() { printf '\n@@cairn:%s:%s@@\n' "$n" "$1"; }
have() { command -v "$1" >/dev/null 2>&1; }
t() { if have timeout; then timeout 10 "$@"; else "$@"; fi; }
# cat for small files, without a process: read is built in.
c() { [ -r "$1" ] && while IFS= read -r l || [ -n "$l" ]; do printf '%s\n' "$l"; done < "$1"; }

s hostname
c /proc/sys/kernel/hostname || hostname 2>/dev/null || uname -n 2>/dev/null
s fqdn
have hostname && t hostname -f 2>/dev/null
s machine-id
c /etc/machine-id || c /var/lib/dbus/machine-id
s os-release
c /etc/os-release || c /usr/lib/os-release
s kernel
uname -r -m 2>/dev/null
s cpu
if have lscpu; then lscpu -J 2>/dev/null || lscpu 2>/dev/null; fi
if ! have lscpu; then s cpuinfo; grep -E '^(processor|model name|physical id|core id)[[:space:]]*:' /proc/cpuinfo 2>/dev/null; fi
s memory
[ -r /proc/meminfo ] && while read -r k v; do [ "$k" = MemTotal: ] && echo "$k $v" && break; done < /proc/meminfo
s disks
have lsblk && { lsblk -J -b -d -o NAME,SIZE,TYPE,MODEL,SERIAL 2>/dev/null || lsblk -P -b -d -o NAME,SIZE,TYPE,MODEL,SERIAL 2>/dev/null; }
s mounts
cat /proc/mounts 2>/dev/null
s df
have df && { df -P -l -B1 2>/dev/null || df -P -l -k 2>/dev/null; }
s ip
have ip && { ip -j addr show 2>/dev/null || ip -o addr show 2>/dev/null; }
s sysnet
for f in /sys/class/net/*/address; do [ -r "$f" ] && read -r a < "$f" && printf '%s %s\n' "${f%/address}" "$a"; done
s routes
have ip && { ip -j route show default 2>/dev/null || ip route show default 2>/dev/null; }
s routes6
have ip && { ip -j -6 route show default 2>/dev/null || ip -6 route show default 2>/dev/null; }
if have ss; then
	s tcp
	ss -Hltn 2>/dev/null || ss -ltn 2>/dev/null
	s udp
	ss -Hlun 2>/dev/null || ss -lun 2>/dev/null
else
	s proc-tcp
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null
	s proc-udp
	cat /proc/net/udp /proc/net/udp6 2>/dev/null
fi
s virt
if have systemd-detect-virt; then
	printf 'vm='; systemd-detect-virt --vm 2>/dev/null || echo
	printf 'container='; systemd-detect-virt --container 2>/dev/null || echo
else
	grep -q '^flags.* hypervisor' /proc/cpuinfo 2>/dev/null && echo 'cpuflag=hypervisor'
fi
[ -e /.dockerenv ] && echo 'file=docker'
[ -e /run/.containerenv ] && echo 'file=podman'
s dmi
for f in sys_vendor product_name product_serial product_uuid bios_vendor bios_version bios_date board_vendor board_name board_serial chassis_asset_tag; do
	[ -r "/sys/class/dmi/id/$f" ] && read -r a < "/sys/class/dmi/id/$f" && printf '%s=%s\n' "$f" "$a"
done
# SMBIOS memory devices (type 17), in hexadecimal; readable by root only.
s smbios17
for f in /sys/firmware/dmi/entries/17-*/raw; do [ -r "$f" ] && have od && printf '%s %s\n' "${f%/raw}" "$(od -An -v -tx1 "$f" | tr -d '\n')"; done
s pci
for d in /sys/bus/pci/devices/*; do [ -r "$d/vendor" ] && read -r v < "$d/vendor" && read -r p < "$d/device" && read -r k < "$d/class" && printf '%s %s %s %s\n' "${d##*/}" "$v" "$p" "$k"; done
s resolv
c /etc/resolv.conf
if have dpkg-query; then
	s dpkg
	dpkg-query -W -f '${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\n' 2>/dev/null
fi
if have rpm; then
	s rpm
	rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{ARCH}\n' 2>/dev/null
fi
# Hosted guests, where the tools or sockets are there and readable.
if have virsh; then
	s virsh
	t virsh list --all --uuid --name 2>/dev/null
	s virsh-dominfo
	for u in $(t virsh list --all --uuid 2>/dev/null); do t virsh dominfo "$u" 2>/dev/null; echo; done
fi
if [ -S /var/run/docker.sock ] && [ -r /var/run/docker.sock ] && [ -w /var/run/docker.sock ] && have docker; then
	s docker
	t docker ps -a --no-trunc --format '{{.ID}}\t{{.Names}}' 2>/dev/null
fi
if [ -d /var/lib/lxc ]; then
	s lxc
	for f in /var/lib/lxc/*/config; do [ -r "$f" ] && { f=${f%/config}; printf 'name=%s\n' "${f##*/}"; grep -E '^[[:space:]]*lxc\.cgroup2?\.(memory\.max|memory\.limit_in_bytes|cpuset\.cpus)[[:space:]]*=' "$f/config" 2>/dev/null; }; done
fi
s end
exit 0
