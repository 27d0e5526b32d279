// A hello-world net/http server (standard library only).
//
// Usage: go-http PORT
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

var body = []byte("hello from net/http\n")

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintf(os.Stderr, "usage: %s PORT\n", os.Args[0])
		os.Exit(2)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:"+os.Args[1], nil))
}
