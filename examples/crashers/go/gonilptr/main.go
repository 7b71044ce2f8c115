// gonilptr: dereferences a nil pointer.
// Expected: "panic: runtime error: invalid memory address or nil pointer
// dereference" and "[signal SIGSEGV: segmentation violation code=... addr=0x0 pc=...]"
// (Windows: "[signal 0xc0000005 code=0x0 addr=0x0 pc=...]"), exit status 2.
package main

import "fmt"

type config struct {
	name string
}

func load(ok bool) *config {
	if ok {
		return &config{name: "x"}
	}
	return nil
}

//go:noinline
func describe(c *config) string {
	return "config " + c.name
}

func main() {
	fmt.Println(describe(load(false)))
}
