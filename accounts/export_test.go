package accounts

import busguard "busguard.tokenring.invalid"

var needed = busguard.Needed
