# tests/images-services.mk: boot images for the services' suites
# (include from the top-level Makefile after mk/image.mk).
#   services  user/tests/svctest runs the SVCTEST cases against serial, logd and timerd
#   svcshell  user/tests/svctest starts the services and vshell, and plays init and
#             the naming service for the shell (tests/scenarios/shell_mock*.scn)
SVC_MODULES := $(B)/user/serial.elf $(B)/user/logd.elf $(B)/user/timerd.elf
$(eval $(call image,services,$(B)/user/svctest.elf $(SVC_MODULES),test quiet))
$(eval $(call image,svcshell,$(B)/user/svctest.elf $(SVC_MODULES) $(B)/user/vshell.elf,test quiet shell))
#   random    user/tests/randtest starts randomd and asks it at each level
#             (tests/scenarios/random_*.scn: -cpu max, and qemu64 without RDRAND)
$(eval $(call image,random,$(B)/user/randtest.elf $(B)/user/randomd.elf,test quiet))
