// godeadlock: main waits on a channel nobody sends to.
// Expected: "fatal error: all goroutines are asleep - deadlock!" and
// "goroutine 1 [chan receive]:", exit status 2.
package main

import "fmt"

func waitForResult(results chan int) int {
	return <-results
}

func main() {
	results := make(chan int)
	fmt.Println(waitForResult(results))
}
