package desktop

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"os"
)

// familyWild is the Xauthority address family that matches every display
// of every host, so one entry serves whatever display Xvnc picks.
const familyWild = 0xffff

// writeXauthority writes an Xauthority file holding one fresh
// MIT-MAGIC-COOKIE-1, readable only by its owner. Xvnc (-auth) accepts
// only clients that present it; clients find it through $XAUTHORITY.
func writeXauthority(path string) error {
	cookie := make([]byte, 16)
	if _, err := rand.Read(cookie); err != nil {
		return err
	}
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint16(familyWild))
	for _, field := range [][]byte{nil, nil, []byte("MIT-MAGIC-COOKIE-1"), cookie} { // address, display, name, data
		binary.Write(&b, binary.BigEndian, uint16(len(field)))
		b.Write(field)
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}
