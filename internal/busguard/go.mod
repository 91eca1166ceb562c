module busguard.tokenring.invalid

go 1.21
