// gonilmap: writes to a nil map.
// Expected: "panic: assignment to entry in nil map", exit status 2.
package main

import "fmt"

type registry struct {
	byName map[string]int // never made
}

func (r *registry) add(name string) {
	r.byName[name] = len(r.byName)
}

func main() {
	var r registry
	r.add("first")
	fmt.Println(r.byName)
}
