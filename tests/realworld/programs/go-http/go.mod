module iotrace.test/gohttp

go 1.19
