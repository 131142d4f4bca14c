package local

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/cairn-cmdb/cairn/internal/ident"
)

// MemoryModule is one populated memory device (SMBIOS type 17).
type MemoryModule struct {
	// Locator is the device locator ("DIMM A1", "ChannelA-DIMM0"), Bank the
	// bank locator ("BANK 0", "P0 CHANNEL A").
	Locator, Bank string
	SizeBytes     uint64
	// Type is the memory type ("DDR4", "DDR5", "LPDDR4"…), "" when the
	// table says Unknown or Other.
	Type string
	// SpeedMTs is the maximum speed in MT/s, 0 when unknown.
	SpeedMTs                   uint32
	Manufacturer, Serial, Part string
}

// memoryTypes are the SMBIOS memory type names (DSP0134 3.7, table 76) of
// the types worth a fact; Other (1) and Unknown (2) are none.
var memoryTypes = map[byte]string{
	0x03: "DRAM", 0x04: "EDRAM", 0x05: "VRAM", 0x06: "SRAM", 0x07: "RAM", 0x08: "ROM", 0x09: "Flash",
	0x0A: "EEPROM", 0x0B: "FEPROM", 0x0C: "EPROM", 0x0D: "CDRAM", 0x0E: "3DRAM", 0x0F: "SDRAM",
	0x10: "SGRAM", 0x11: "RDRAM", 0x12: "DDR", 0x13: "DDR2", 0x14: "DDR2 FB-DIMM", 0x18: "DDR3",
	0x19: "FBD2", 0x1A: "DDR4", 0x1B: "LPDDR", 0x1C: "LPDDR2", 0x1D: "LPDDR3", 0x1E: "LPDDR4",
	0x1F: "Logical non-volatile device", 0x20: "HBM", 0x21: "HBM2", 0x22: "DDR5", 0x23: "LPDDR5", 0x24: "HBM3",
}

// ParseMemoryDevice reads one SMBIOS structure of type 17 (Memory Device,
// DSP0134 section 7.18) as the kernel exposes it in
// /sys/firmware/dmi/entries/17-N/raw: the formatted area, then its strings,
// each NUL-terminated, ended by an empty one. It reports false for another
// type, a structure too short to hold the size (SMBIOS 2.1 and later), and
// an empty slot (size 0) or a module of unknown size (0xFFFF). This is the
// table dmidecode decodes; reading it directly needs no dmidecode binary.
func ParseMemoryDevice(raw []byte) (MemoryModule, bool) {
	if len(raw) < 0x15 || raw[0] != 17 {
		return MemoryModule{}, false
	}
	n := int(raw[1])
	if n < 0x15 || n > len(raw) {
		return MemoryModule{}, false
	}
	area, strs := raw[:n], smbiosStrings(raw[n:])
	str := func(off int) string {
		if off >= len(area) {
			return ""
		}
		i := int(area[off])
		if i == 0 || i > len(strs) {
			return ""
		}
		return strs[i-1]
	}
	word := func(off int) uint16 { return binary.LittleEndian.Uint16(area[off:]) }
	var m MemoryModule
	switch size := word(0x0C); {
	case size == 0 || size == 0xFFFF:
		return MemoryModule{}, false
	case size == 0x7FFF:
		if len(area) < 0x20 {
			return MemoryModule{}, false
		}
		ext := binary.LittleEndian.Uint32(area[0x1C:]) & 0x7FFFFFFF
		if ext == 0 {
			return MemoryModule{}, false
		}
		m.SizeBytes = uint64(ext) << 20
	case size&0x8000 != 0:
		m.SizeBytes = uint64(size&0x7FFF) << 10
	default:
		m.SizeBytes = uint64(size) << 20
	}
	if m.SizeBytes == 0 {
		return MemoryModule{}, false // 0 KiB
	}
	m.Locator = str(0x10)
	m.Bank = str(0x11)
	m.Type = memoryTypes[area[0x12]]
	if len(area) >= 0x17 {
		switch sp := word(0x15); {
		case sp == 0xFFFF && len(area) >= 0x58:
			m.SpeedMTs = binary.LittleEndian.Uint32(area[0x54:])
		case sp != 0xFFFF:
			m.SpeedMTs = uint32(sp)
		}
	}
	m.Manufacturer = memoryText(str(0x17))
	if s := memoryText(str(0x18)); !ident.IsPlaceholderSerial(s) {
		m.Serial = s
	}
	m.Part = memoryText(str(0x1A))
	return m, true
}

// smbiosStrings splits the string set that follows a formatted area.
func smbiosStrings(b []byte) []string {
	var out []string
	for len(b) > 0 && b[0] != 0 {
		i := 0
		for i < len(b) && b[i] != 0 {
			i++
		}
		out = append(out, strings.TrimSpace(strings.ToValidUTF8(string(b[:i]), "\uFFFD")))
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return out
}

// memoryText drops the placeholders firmware writes in memory module
// strings.
func memoryText(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "unknown", "not specified", "none", "n/a", "na", "undefined", "manufacturer00",
		"manufacturer0", "manufacturer", "serialnum", "partnum", "assettagnum", "0000", "00000000":
		return ""
	}
	return strings.TrimSpace(s)
}

// readMemoryModules reads the SMBIOS type 17 entries the kernel exposes.
// ok is false when there are none to read (no SMBIOS, or not root).
func readMemoryModules() (mods []MemoryModule, ok bool) {
	dirs, _ := filepath.Glob(sysPath("firmware", "dmi", "entries", "17-*"))
	sort.Slice(dirs, func(i, j int) bool { return entryIndex(dirs[i]) < entryIndex(dirs[j]) })
	for _, d := range dirs {
		raw, err := os.ReadFile(filepath.Join(d, "raw"))
		if err != nil {
			return nil, false
		}
		ok = true
		if m, populated := ParseMemoryDevice(raw); populated {
			mods = append(mods, m)
		}
	}
	return mods, ok
}

// entryIndex is N of /sys/firmware/dmi/entries/17-N.
func entryIndex(dir string) int {
	_, n, _ := strings.Cut(filepath.Base(dir), "-")
	i, _ := strconv.Atoi(n)
	return i
}

// MemorySlots returns each module's slot name for the facts
// "memory.module.<slot>.*": its locator lower-cased with spaces as "_";
// when locators repeat (one "DIMM 0" per channel) the bank locator is
// added, and when that does not tell them apart either, the module's index.
func MemorySlots(mods []MemoryModule) []string {
	norm := func(s string) string {
		return strings.Join(strings.Fields(strings.ToLower(s)), "_")
	}
	out := make([]string, len(mods))
	count := map[string]int{}
	for i, m := range mods {
		out[i] = norm(m.Locator)
		if out[i] == "" {
			out[i] = strconv.Itoa(i)
		}
		count[out[i]]++
	}
	for i, m := range mods {
		if count[out[i]] > 1 && norm(m.Bank) != "" {
			out[i] = norm(m.Bank) + "_" + out[i]
		}
	}
	seen := map[string]int{}
	for _, s := range out {
		seen[s]++
	}
	for i := range out {
		if seen[out[i]] > 1 {
			out[i] += "_" + strconv.Itoa(i)
		}
	}
	return out
}
