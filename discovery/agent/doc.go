// Package agent speaks the inventory protocol of the FusionInventory and
// OCS Inventory agents (Debian 12's fusioninventory-agent 2.6 and
// ocsinventory-agent 2.10) and maps their inventories onto the facts,
// identifiers and fields the local and ssh sources use. It is pure: the
// HTTP endpoint (/api/v1/agents/ocs/{job}) and the reconciliation of what
// it maps live elsewhere.
//
// # Protocol
//
// An agent POSTs an XML <REQUEST> compressed with zlib (RFC 1950), gzip or
// not at all (DecodeBody, which never inflates more than the job's limit
// plus one byte). A PROLOG (QUERY, DEVICEID, TOKEN) is answered with
// PrologReply: RESPONSE SEND and PROLOG_FREQ, the hours until the agent's
// next contact. The INVENTORY that follows carries CONTENT, mapped by
// Request.Observations, and is answered with InventoryReply. Replies are
// compressed as the request was (EncodeBody). ocsinventory-agent labels
// its zlib bodies application/x-compress, fusioninventory-agent
// application/x-compress-zlib (or application/x-compress-gzip with the
// gzip command, application/xml uncompressed).
//
// A SNMPQUERY (fusioninventory-netinventory's network inventory, or the
// agent's NetInventory task) carries DEVICEs read over SNMP: mapped by
// SNMPObservations (snmpquery.go, its own table there), which turns their
// values back into the MIB values they were read from and maps them with
// the snmp source's own code, so a switch both report is one CI.
//
// GLPI Agent 1.x sends the same inventory as JSON (the format of
// glpi-project/inventory_format: the XML's sections and elements under
// lower-case names); ParseJSONRequest reads it into the same Request, so
// one mapping serves both.
//
// # Mapping
//
// The host observation has Key "agent <DEVICEID>" with StableKey set: the
// DEVICEID ("<hostname>-<install date>") is the agent's own name for the
// machine, recorded as a source-scoped key. A reinstalled agent makes a
// new DEVICEID; the UUID, serial, MAC and name identifiers then find the
// same CI. Kind is SERVER, VM when HARDWARE/VMSYSTEM names a hypervisor
// (or, without VMSYSTEM, the BIOS maker or model does: QEMU, VMware,
// VirtualBox, Xen, Hyper-V …), CONTAINER when VMSYSTEM names a container
// system (Docker, LXC …). Name is HARDWARE/NAME, else the DEVICEID.
//
// One row per section: the elements read, and what they become.
//
//	Section          Elements                          Facts / identifiers / fields
//	HARDWARE         NAME                              Name, field name; HOSTNAME identifier and field hostname (not localhost)
//	                 UUID                              UUID identifier (not a placeholder UUID)
//	                 MEMORY (MiB)                      memory.total_bytes
//	                 DNS (a/b)                         dns.servers (comma-joined)
//	                 DEFAULTGATEWAY                    route.default
//	                 VMSYSTEM                          Kind; virtualization (lower case; "none" for Physical) or container
//	                 OSNAME/OSCOMMENTS, OSVERSION      os.pretty_name, os.version, only without OPERATINGSYSTEM (OCS)
//	OPERATINGSYSTEM  NAME, VERSION, FULL_NAME          os.name, os.version, os.pretty_name
//	                 KERNEL_VERSION, ARCH              kernel.release, kernel.arch
//	                 FQDN (or NAME + DNS_DOMAIN)       FQDN and HOSTNAME identifiers, fields fqdn and hostname
//	BIOS             SSN                               SERIAL identifier and field serial_number (not a placeholder)
//	                 SMANUFACTURER, SMODEL             dmi.vendor, dmi.product
//	                 BMANUFACTURER, BVERSION, BDATE    bios.vendor, bios.version, bios.date (YYYY-MM-DD when it parses)
//	                 MMANUFACTURER, MMODEL, MSN        board.vendor, board.product, board.serial (a fact only)
//	                 ASSETTAG                          dmi.asset_tag; ASSET_TAG identifier (not a placeholder)
//	CPUS             NAME or TYPE                      cpu.model (distinct models, sorted, "; "-joined)
//	                 THREAD or LOGICAL_CPUS, CORE(S)   cpu.count (logical CPUs in all), cpu.cores (physical cores in all)
//	MEMORIES         CAPTION (locator), CAPACITY (MiB) memory.module.<slot>.size_bytes, per module with a capacity
//	                 TYPE, SPEED, MANUFACTURER,        memory.module.<slot>.type, .speed_mts, .manufacturer, .serial
//	                 SERIALNUMBER                      (placeholders such as "Not Specified" dropped; slots as local.MemorySlots)
//	STORAGES         NAME, DISKSIZE (10^6 bytes),      disk.<name>.size_bytes, .model, .serial, for whole disks
//	                 MODEL, SERIALNUMBER               (not optical, loop, ram or zram devices)
//	DRIVES           TYPE (mount point) or LETTER,     fs.<mountpoint>.size_bytes, fs.<mountpoint>.type, for real file
//	                 TOTAL (MiB), FILESYSTEM           systems (not tmpfs, overlay …); never FREE
//	NETWORKS         DESCRIPTION, MACADDR              net.<iface>.mac; MAC identifier unless VIRTUALDEV is 1 (bridges,
//	                                                   veth …), loopback skipped, placeholder and group MACs dropped
//	                 IPADDRESS/IPMASK, IPADDRESS6/…    net.<iface>.addrs (CIDRs, sorted, comma-joined)
//	                 STATUS                            net.<iface>.operstate (lower case)
//	SOFTWARES        NAME, VERSION, ARCH/ARCHITECTURE  package.<name> (versions), package_arch.<name> (architectures), as
//	                                                   local.PackageFacts; packages.count
//	                 FROM                              packages.manager (deb: dpkg, rpm: rpm …); only the packages of the
//	                                                   manager that knows most (snap, flatpak … are a warning)
//	CONTROLLERS      PCISLOT, VENDORID, PRODUCTID,     pci.<slot>.vendor, .product, .class as hexadecimal IDs
//	                 PCICLASS (OCS: PCIID, NAME [class])
//	VIRTUALMACHINES  NAME, UUID, VMTYPE, VCPU, MEMORY  one observation per guest (below)
//
// Each guest in VIRTUALMACHINES is an observation with Key "<host key>
// guest <UUID or name>" and StableKey set, Kind VM (libvirt, VirtualBox,
// VMware …) or CONTAINER (docker, lxc, podman …), Name NAME, a UUID
// identifier when UUID is one (a libvirt domain's UUID is the guest's own
// DMI product UUID, so its own agent's inventory matches it), MAC
// identifiers from MAC, facts guest.type (VMTYPE in lower case),
// guest.vcpus, guest.memory_bytes (MEMORY in MiB; LXC's cgroup limit in
// bytes or with a K, M or G suffix), and a RUNS_ON relationship to the
// host.
//
// CompleteFacts lists memory.module., disk., fs., net., package.,
// package_arch. and pci., each when its section was sent. Nothing that
// changes while the machine is idle becomes a fact: free space, used
// memory, users (USERS, LOCAL_USERS, LASTLOGGEDUSER), PROCESSES, uptime
// and BOOT_TIME, ACCESSLOG/LOGDATE, a guest's STATUS, INSTALLDATE and
// FILESIZE of packages, CPU usage. Sections read but not mapped
// (FIREWALL, REPOSITORY, …) are a warning.
package agent
