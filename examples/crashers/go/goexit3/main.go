// goexit3: os.Exit(3) after printing a line; no trace.
// Expected: exit status 3 (Linux and Windows).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "goexit3: giving up with status 3")
	os.Exit(3)
}
