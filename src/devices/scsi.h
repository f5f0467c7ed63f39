/* SPDX-License-Identifier: MIT */
/*
 * SCSI constants from SAM-5, SPC-4 and SBC-3: operation codes, status, sense keys,
 * additional sense codes, and fixed-format sense data. CDBs and parameter data are
 * big-endian; the get/put helpers read and write them from byte arrays.
 *
 * The names carry a SCSI_ prefix because <scsi/scsi.h> defines the bare spec names.
 */
#ifndef HVKVM_SCSI_H
#define HVKVM_SCSI_H

#include <stdint.h>
#include <string.h>

#include "byteorder.h"

/* ---- operation codes (SPC-4, SBC-3) ---- */
#define SCSI_TEST_UNIT_READY		0x00
#define SCSI_REQUEST_SENSE		0x03
#define SCSI_READ_6			0x08
#define SCSI_WRITE_6			0x0a
#define SCSI_INQUIRY			0x12
#define SCSI_MODE_SELECT_6		0x15
#define SCSI_MODE_SENSE_6		0x1a
#define SCSI_START_STOP_UNIT		0x1b
#define SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL 0x1e
#define SCSI_READ_CAPACITY_10		0x25
#define SCSI_READ_10			0x28
#define SCSI_WRITE_10			0x2a
#define SCSI_VERIFY_10			0x2f
#define SCSI_SYNCHRONIZE_CACHE_10	0x35
#define SCSI_WRITE_SAME_10		0x41
#define SCSI_UNMAP			0x42
#define SCSI_MODE_SELECT_10		0x55
#define SCSI_MODE_SENSE_10		0x5a
#define SCSI_ATA_PASS_THROUGH_16	0x85
#define SCSI_READ_16			0x88
#define SCSI_WRITE_16			0x8a
#define SCSI_VERIFY_16			0x8f
#define SCSI_SYNCHRONIZE_CACHE_16	0x91
#define SCSI_WRITE_SAME_16		0x93
#define SCSI_SERVICE_ACTION_IN_16	0x9e
#define SCSI_REPORT_LUNS		0xa0
#define SCSI_MAINTENANCE_IN		0xa3
#define SCSI_READ_12			0xa8
#define SCSI_WRITE_12			0xaa
#define SCSI_VERIFY_12			0xaf

/* MMC-6 operation codes */
#define SCSI_READ_TOC_PMA_ATIP		0x43
#define SCSI_GET_CONFIGURATION		0x46
#define SCSI_GET_EVENT_STATUS_NOTIFICATION 0x4a
#define SCSI_READ_DISC_INFORMATION	0x51
#define SCSI_READ_DVD_STRUCTURE		0xad
#define SCSI_SET_CD_SPEED		0xbb
#define SCSI_MECHANISM_STATUS		0xbd

/* SERVICE ACTION IN (16) service actions */
#define SCSI_SAI_READ_CAPACITY_16	0x10

/* ---- status (SAM-5) ---- */
#define SCSI_STATUS_GOOD		0x00
#define SCSI_STATUS_CHECK_CONDITION	0x02
#define SCSI_STATUS_CONDITION_MET	0x04
#define SCSI_STATUS_BUSY		0x08
#define SCSI_STATUS_RESERVATION_CONFLICT 0x18
#define SCSI_STATUS_TASK_SET_FULL	0x28
#define SCSI_STATUS_ACA_ACTIVE		0x30
#define SCSI_STATUS_TASK_ABORTED	0x40

/* ---- sense keys (SPC-4 4.5.6) ---- */
#define SCSI_SENSE_NO_SENSE		0x0
#define SCSI_SENSE_RECOVERED_ERROR	0x1
#define SCSI_SENSE_NOT_READY		0x2
#define SCSI_SENSE_MEDIUM_ERROR		0x3
#define SCSI_SENSE_HARDWARE_ERROR	0x4
#define SCSI_SENSE_ILLEGAL_REQUEST	0x5
#define SCSI_SENSE_UNIT_ATTENTION	0x6
#define SCSI_SENSE_DATA_PROTECT		0x7
#define SCSI_SENSE_BLANK_CHECK		0x8
#define SCSI_SENSE_ABORTED_COMMAND	0xb

/*
 * Additional sense code and qualifier, as one 16-bit value: ASC << 8 | ASCQ
 * (SPC-4 table D.2).
 */
#define SCSI_ASC(x)			((uint8_t)((x) >> 8))
#define SCSI_ASCQ(x)			((uint8_t)((x) & 0xff))
#define SCSI_ASC_NO_ADDITIONAL_SENSE	0x0000
#define SCSI_ASC_WRITE_ERROR		0x0c00
#define SCSI_ASC_UNRECOVERED_READ_ERROR	0x1100
#define SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR 0x1a00
#define SCSI_ASC_INVALID_COMMAND_OPERATION_CODE 0x2000
#define SCSI_ASC_LBA_OUT_OF_RANGE	0x2100
#define SCSI_ASC_INVALID_FIELD_IN_CDB	0x2400
#define SCSI_ASC_LOGICAL_UNIT_NOT_SUPPORTED 0x2500
#define SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST 0x2600
#define SCSI_ASC_WRITE_PROTECTED	0x2700
#define SCSI_ASC_SPACE_ALLOCATION_FAILED_WRITE_PROTECT 0x2707
#define SCSI_ASC_NOT_READY_TO_READY_CHANGE 0x2800
#define SCSI_ASC_POWER_ON_RESET		0x2900
#define SCSI_ASC_MODE_PARAMETERS_CHANGED 0x2a01
#define SCSI_ASC_CAPACITY_DATA_HAS_CHANGED 0x2a09
#define SCSI_ASC_SAVING_PARAMETERS_NOT_SUPPORTED 0x3900
#define SCSI_ASC_INQUIRY_DATA_HAS_CHANGED 0x3f03
#define SCSI_ASC_REPORTED_LUNS_DATA_HAS_CHANGED 0x3f0e
#define SCSI_ASC_INTERNAL_TARGET_FAILURE 0x4400
#define SCSI_ASC_INCOMPATIBLE_MEDIUM_INSTALLED 0x3000
#define SCSI_ASC_CANNOT_READ_MEDIUM_INCOMPATIBLE_FORMAT 0x3002
#define SCSI_ASC_MEDIUM_NOT_PRESENT	0x3a00
#define SCSI_ASC_MEDIUM_REMOVAL_PREVENTED 0x5302

/* ---- INQUIRY (SPC-4 6.4) ---- */
#define SCSI_TYPE_DISK			0x00	/* direct-access block device */
#define SCSI_TYPE_CDROM			0x05	/* CD/DVD device (MMC) */
#define SCSI_TYPE_NO_LUN		0x7f	/* qualifier 011b, type 1Fh */
#define SCSI_VERSION_SPC4		0x06

#define SCSI_VPD_SUPPORTED_PAGES	0x00
#define SCSI_VPD_UNIT_SERIAL_NUMBER	0x80
#define SCSI_VPD_DEVICE_IDENTIFICATION	0x83
#define SCSI_VPD_BLOCK_LIMITS		0xb0
#define SCSI_VPD_BLOCK_DEVICE_CHARACTERISTICS 0xb1
#define SCSI_VPD_LOGICAL_BLOCK_PROVISIONING 0xb2

/* ---- mode pages (SPC-4 7.5, SBC-3 6.4) ---- */
#define SCSI_MODE_PAGE_READ_ERROR_RECOVERY 0x01
#define SCSI_MODE_PAGE_CACHING		0x08
#define SCSI_MODE_PAGE_CONTROL		0x0a
#define SCSI_MODE_PAGE_MM_CAPABILITIES	0x2a	/* MMC: CD/DVD capabilities and mechanical status */
#define SCSI_MODE_PAGE_ALL		0x3f
#define SCSI_MODE_SUBPAGE_ALL		0xff

/* PC field of MODE SENSE */
#define SCSI_PC_CURRENT			0
#define SCSI_PC_CHANGEABLE		1
#define SCSI_PC_DEFAULT			2
#define SCSI_PC_SAVED			3

/* ---- fixed-format sense data (SPC-4 4.5.3) ---- */
#define SCSI_SENSE_FIXED_LEN		18
#define SCSI_SENSE_RESPONSE_CURRENT	0x70

/* Fills sense with current fixed-format sense data; returns its length. */
static inline uint8_t scsi_build_sense(uint8_t sense[SCSI_SENSE_FIXED_LEN], uint8_t key, uint16_t asc)
{
	memset(sense, 0, SCSI_SENSE_FIXED_LEN);
	sense[0] = SCSI_SENSE_RESPONSE_CURRENT;
	sense[2] = key & 0x0f;
	sense[7] = SCSI_SENSE_FIXED_LEN - 8;	/* additional sense length */
	sense[12] = SCSI_ASC(asc);
	sense[13] = SCSI_ASCQ(asc);
	return SCSI_SENSE_FIXED_LEN;
}

#endif
